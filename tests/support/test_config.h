/*
 * test_config.h — configuration test helpers shared by the rt_config test programs.
 */
#ifndef TEST_CONFIG_H
#define TEST_CONFIG_H

/* Load yaml (named "t.yaml") on top of the defaults; expect -EINVAL (in the return and
 * in err.code) and every substring of the NULL-terminated list in the message; the
 * configuration must be left untouched. Fails the running cmocka test otherwise. */
void test_expect_config_error(const char *yaml, ...);

#endif
