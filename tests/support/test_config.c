#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "rt/rt_config.h"
#include "tests/support/test_config.h"

#include <errno.h>
#include <string.h>

void test_expect_config_error(const char *yaml, ...)
{
	static struct rt_config c, before;
	struct rt_err err = {0};
	rt_config_defaults(&c);
	before = c;
	int ret = rt_config_load_string(&c, yaml, strlen(yaml), "t.yaml", &err);
	if (ret != -EINVAL) {
		print_error("expected -EINVAL, got %d (%s) for:\n%s\n", ret, err.msg, yaml);
		fail();
	}
	va_list ap;
	va_start(ap, yaml);
	for (const char *want = va_arg(ap, const char *); want; want = va_arg(ap, const char *))
		if (!strstr(err.msg, want)) {
			print_error("message \"%s\"\n lacks \"%s\"\n", err.msg, want);
			va_end(ap);
			fail();
		}
	va_end(ap);
	assert_int_equal(err.code, -EINVAL);
	assert_memory_equal(&c, &before, sizeof(c));
}
