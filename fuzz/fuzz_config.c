/*
 * fuzz_config — random bytes into rt_config_load_string (scripts/fuzz.sh builds it
 * with clang -fsanitize=fuzzer,address).
 *
 * Beyond "does not crash", every input checks the loader's contract:
 *   - a rejected input returns -EINVAL/-ENOMEM/-EFBIG with a message naming the
 *     source, and leaves the struct exactly as it was;
 *   - an accepted input yields a config that rt_config_dump prints as YAML which
 *     loads back to the very same struct.
 */
#include "rt/rt_config.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			fprintf(stderr, "fuzz_config: %s:%d: check failed: %s\n", __FILE__,        \
				__LINE__, #cond);                                                  \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rt_config c, before, back;
	static struct rt_err err;

	rt_config_defaults(&c);
	before = c;
	rt_err_clear(&err);
	int ret = rt_config_load_string(&c, (const char *)data, size, "fuzz.yaml", &err);
	if (ret) {
		CHECK(ret == -EINVAL || ret == -ENOMEM || ret == -EFBIG);
		CHECK(err.code == ret);
		CHECK(strncmp(err.msg, "fuzz.yaml", 9) == 0);
		CHECK(memcmp(&c, &before, sizeof(c)) == 0);
		return 0;
	}

	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	CHECK(f != NULL);
	CHECK(rt_config_dump(&c, f) == 0);
	CHECK(fclose(f) == 0);
	rt_config_defaults(&back);
	ret = rt_config_load_string(&back, buf, len, "dump", &err);
	if (ret)
		fprintf(stderr, "fuzz_config: dump does not load back: %s\n%s\n", err.msg, buf);
	CHECK(ret == 0);
	CHECK(memcmp(&back, &c, sizeof(c)) == 0);
	free(buf);
	return 0;
}
