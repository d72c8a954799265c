/* libFuzzer target: the positions file parser (operator-written input). Every
 * input is either refused with a message naming the file, or yields positions whose
 * fields are all in range. */
#include "workers/engine/positions_file.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct shm_posctl out[64];
	struct rt_err err = {0};
	int n = posfile_parse("f.csv", (const char *)data, size, out, 64, &err);
	if (n < 0) {
		if (strncmp(err.msg, "f.csv:", 6) != 0)
			abort(); /* every refusal names the file and line */
		return 0;
	}
	for (int i = 0; i < n; i++) {
		const struct shm_posctl *c = &out[i];
		if (c->pos_id == 0 || (c->right != 'P' && c->right != 'C') || c->strike <= 0 ||
		    c->contracts == 0 || c->contracts > 1000000 || !memchr(c->underlying, 0, 12) ||
		    !memchr(c->account, 0, sizeof(c->account)) || c->expiry < 20000101 ||
		    c->expiry > 20991231)
			abort();
		for (int j = 0; j < i; j++)
			if (out[j].pos_id == c->pos_id)
				abort(); /* ids are unique */
	}
	return 0;
}
