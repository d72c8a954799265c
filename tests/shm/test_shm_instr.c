/* Instrument directory: add/find/get, duplicates, capacity, OCC symbols, checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "shm/shm_instr.h"
#include "shm/shm_price.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *new_dir(uint32_t cap, struct shm_instr_dir *d, uint64_t *size)
{
	*size = shm_instr_region_size(cap);
	void *r = aligned_alloc(128,
				(*size + 127) / 128 * 128); /* C11: a multiple of the alignment */
	assert_int_equal(shm_instr_init(r, *size, cap, NULL), 0);
	shm_instr_attach(d, r);
	return r;
}

static void test_instr_add_assigns_dense_ids_found_by_symbol(void **state)
{
	(void)state;
	struct shm_instr_dir d;
	uint64_t size;
	void *r = new_dir(64, &d, &size);
	const char *syms[] = {"AAPL", "MSFT", "SPY", "QQQ", "BRK.B"};
	for (uint32_t i = 0; i < 5; i++) {
		struct shm_instr in;
		assert_int_equal(shm_instr_make_stock(&in, syms[i]), 0);
		uint32_t id = 99;
		assert_int_equal(shm_instr_add(&d, &in, &id, NULL), 0);
		assert_int_equal(id, i);
	}
	assert_int_equal(shm_instr_count(&d), 5);
	for (uint32_t i = 0; i < 5; i++) {
		assert_int_equal(shm_instr_find(&d, syms[i]), i);
		assert_string_equal(shm_instr_get(&d, i)->symbol, syms[i]);
		assert_int_equal(shm_instr_get(&d, i)->kind, SHM_INSTR_STOCK);
	}
	assert_int_equal(shm_instr_find(&d, "TSLA"), SHM_INSTR_NONE);
	assert_null(shm_instr_get(&d, 5));
	assert_int_equal(shm_instr_check(r, size, NULL), 0);
	free(r);
}

static void test_instr_duplicate_symbol_returns_existing_id(void **state)
{
	(void)state;
	struct shm_instr_dir d;
	uint64_t size;
	void *r = new_dir(8, &d, &size);
	struct shm_instr in;
	shm_instr_make_stock(&in, "NVDA");
	uint32_t id;
	assert_int_equal(shm_instr_add(&d, &in, &id, NULL), 0);
	struct rt_err err = {0};
	uint32_t again = 77;
	assert_int_equal(shm_instr_add(&d, &in, &again, &err), -EEXIST);
	assert_int_equal(again, id);
	assert_non_null(strstr(err.msg, "'NVDA' already has id 0"));
	assert_int_equal(shm_instr_count(&d), 1);
	free(r);
}

static void test_instr_full_directory_is_enospc(void **state)
{
	(void)state;
	struct shm_instr_dir d;
	uint64_t size;
	void *r = new_dir(3, &d, &size);
	char sym[8];
	for (int i = 0; i < 3; i++) {
		struct shm_instr in;
		snprintf(sym, sizeof(sym), "S%d", i);
		shm_instr_make_stock(&in, sym);
		assert_int_equal(shm_instr_add(&d, &in, NULL, NULL), 0);
	}
	struct shm_instr in;
	shm_instr_make_stock(&in, "ONE");
	struct rt_err err = {0};
	assert_int_equal(shm_instr_add(&d, &in, NULL, &err), -ENOSPC);
	assert_non_null(strstr(err.msg, "shm.max_instruments"));
	free(r);
}

static void test_instr_many_symbols_all_found_through_the_index(void **state)
{
	(void)state;
	struct shm_instr_dir d;
	uint64_t size;
	void *r = new_dir(5000, &d, &size);
	char sym[16];
	for (uint32_t i = 0; i < 5000; i++) {
		struct shm_instr in;
		snprintf(sym, sizeof(sym), "X%u", i);
		assert_int_equal(shm_instr_make_stock(&in, sym), 0);
		assert_int_equal(shm_instr_add(&d, &in, NULL, NULL), 0);
	}
	for (uint32_t i = 0; i < 5000; i++) {
		snprintf(sym, sizeof(sym), "X%u", i);
		assert_int_equal(shm_instr_find(&d, sym), i);
	}
	assert_int_equal(shm_instr_find(&d, "X5000"), SHM_INSTR_NONE);
	free(r);
}

static void test_instr_option_gets_its_occ_symbol(void **state)
{
	(void)state;
	struct shm_instr o;
	assert_int_equal(shm_instr_make_option(&o, "AAPL", 20201211, 'C', 60 * PRICE_SCALE), 0);
	assert_string_equal(o.symbol, "AAPL  201211C00060000");
	assert_string_equal(o.underlying, "AAPL");
	assert_int_equal(o.expiry, 20201211);
	assert_int_equal(o.right, 'C');
	assert_int_equal(o.kind, SHM_INSTR_OPTION);
	assert_int_equal(shm_instr_make_option(&o, "QQQ", 20260417, 'P', 61250000000ll), 0);
	assert_string_equal(o.symbol, "QQQ   260417P00612500");
	/* bad fields */
	assert_int_equal(shm_instr_make_option(&o, "QQQ", 20261340, 'P', PRICE_SCALE), -EINVAL);
	assert_int_equal(shm_instr_make_option(&o, "QQQ", 20260417, 'X', PRICE_SCALE), -EINVAL);
	assert_int_equal(shm_instr_make_option(&o, "QQQ", 20260417, 'P', 0), -EINVAL);
	assert_int_equal(shm_instr_make_option(&o, "QQQ", 20260417, 'P', 1),
			 -EINVAL); /* < $0.001 */
	assert_int_equal(shm_instr_make_option(&o, "toolongroot", 20260417, 'P', PRICE_SCALE),
			 -EINVAL);
	assert_int_equal(shm_instr_make_stock(&o, "aapl"), -EINVAL);
	assert_int_equal(shm_instr_make_stock(&o, ""), -EINVAL);
}

static void test_instr_check_reports_corrupt_entries(void **state)
{
	(void)state;
	struct shm_instr_dir d;
	uint64_t size;
	void *r = new_dir(8, &d, &size);
	struct shm_instr in;
	shm_instr_make_stock(&in, "SPY");
	shm_instr_add(&d, &in, NULL, NULL);
	struct rt_err err = {0};
	d.entries[0].kind = 9;
	assert_int_equal(shm_instr_check(r, size, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "entry 0 is corrupt"));
	d.entries[0].kind = SHM_INSTR_STOCK;
	memset(d.entries[0].symbol, 'A', sizeof(d.entries[0].symbol));
	assert_int_equal(shm_instr_check(r, size, &err), -EBADMSG);
	strcpy(d.entries[0].symbol, "SPY");
	d.hdr->index_slots = 3;
	assert_int_equal(shm_instr_check(r, size, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "index 3"));
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_instr_add_assigns_dense_ids_found_by_symbol),
		cmocka_unit_test(test_instr_duplicate_symbol_returns_existing_id),
		cmocka_unit_test(test_instr_full_directory_is_enospc),
		cmocka_unit_test(test_instr_many_symbols_all_found_through_the_index),
		cmocka_unit_test(test_instr_option_gets_its_occ_symbol),
		cmocka_unit_test(test_instr_check_reports_corrupt_entries),
	};
	return cmocka_run_group_tests_name("shm_instr", tests, NULL, NULL);
}
