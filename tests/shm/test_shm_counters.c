/* Counters and histogram regions: labels, get-or-add, restart, checks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "shm/shm_counters.h"
#include "shm/shm_hists.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_counters_get_or_add_finds_the_same_word_after_restart(void **state)
{
	(void)state;
	uint64_t size = shm_counters_region_size(4);
	void *r = aligned_alloc(128, size);
	assert_int_equal(shm_counters_init(r, size, 4, NULL), 0);
	struct shm_counters cs;
	shm_counters_attach(&cs, r);
	uint64_t *a = shm_counters_get_or_add(&cs, "rejects.crossed");
	uint64_t *b = shm_counters_get_or_add(&cs, "drops.full");
	assert_non_null(a);
	assert_non_null(b);
	assert_ptr_not_equal(a, b);
	rt_counter_add(a, 5);
	rt_counter_add(b, 1);
	struct shm_counters again; /* a restarted owner */
	shm_counters_attach(&again, r);
	uint64_t *a2 = shm_counters_get_or_add(&again, "rejects.crossed");
	assert_ptr_equal(a, a2);
	assert_int_equal(*a2, 5);
	assert_int_equal(shm_counters_count(&again), 2);
	assert_string_equal(shm_counters_at(&again, 1)->label, "drops.full");
	assert_null(shm_counters_at(&again, 2));
	free(r);
}

static void test_counters_refuse_bad_labels_and_overflow(void **state)
{
	(void)state;
	uint64_t size = shm_counters_region_size(2);
	void *r = aligned_alloc(128, size);
	assert_int_equal(shm_counters_init(r, size, 2, NULL), 0);
	struct shm_counters cs;
	shm_counters_attach(&cs, r);
	char longl[80];
	memset(longl, 'x', sizeof(longl) - 1);
	longl[sizeof(longl) - 1] = '\0';
	assert_null(shm_counters_get_or_add(&cs, ""));
	assert_null(shm_counters_get_or_add(&cs, longl));
	assert_non_null(shm_counters_get_or_add(&cs, "a"));
	assert_non_null(shm_counters_get_or_add(&cs, "b"));
	assert_null(shm_counters_get_or_add(&cs, "c"));
	/* the never-NULL form: the table's word when it has one, else a private word */
	assert_ptr_equal(shm_counters_word(&cs, "a"), shm_counters_get_or_add(&cs, "a"));
	uint64_t *priv = shm_counters_word(&cs, "c");
	assert_non_null(priv);
	*priv += 1; /* writable, outside the region */
	assert_true((char *)priv < (char *)r || (char *)priv >= (char *)r + size);
	assert_int_equal(shm_counters_count(&cs), 2);
	struct rt_err err = {0};
	assert_int_equal(shm_counters_check(r, size, &err), 0);
	((struct shm_counters_hdr *)r)->count = 3;
	assert_int_equal(shm_counters_check(r, size, &err), -EBADMSG);
	assert_non_null(strstr(err.msg, "count 3 exceeds capacity 2"));
	free(r);
}

static void test_hists_region_holds_named_histograms(void **state)
{
	(void)state;
	uint64_t size = shm_hists_region_size(2);
	void *r = aligned_alloc(128, size);
	struct rt_err err = {0};
	assert_int_equal(shm_hists_init(r, size, 2, &err), 0);
	struct shm_hists hs;
	shm_hists_attach(&hs, r);
	struct rt_hist *h = shm_hists_get_or_add(&hs, "quote-to-event");
	assert_non_null(h);
	for (uint64_t v = 1; v <= 1000; v++)
		rt_hist_record(h, v);
	assert_ptr_equal(shm_hists_get_or_add(&hs, "quote-to-event"), h);
	assert_non_null(shm_hists_get_or_add(&hs, "board-write"));
	assert_null(shm_hists_get_or_add(&hs, "third"));
	const struct shm_hist_slot *s = shm_hists_at(&hs, 0);
	assert_string_equal(s->label, "quote-to-event");
	uint64_t p50 = rt_hist_percentile(&s->h, 50.0);
	assert_true(p50 >= 499 && p50 <= 501);
	assert_int_equal(shm_hists_check(r, size, &err), 0);
	assert_int_equal(shm_hists_check(r, 64, &err), -EBADMSG);
	free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counters_get_or_add_finds_the_same_word_after_restart),
		cmocka_unit_test(test_counters_refuse_bad_labels_and_overflow),
		cmocka_unit_test(test_hists_region_holds_named_histograms),
	};
	return cmocka_run_group_tests_name("shm_counters", tests, NULL, NULL);
}
