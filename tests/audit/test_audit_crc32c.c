/* CRC32C: RFC 3720 B.4 vectors and the classic check value, for the table and the
 * instruction paths, which must agree on every length and alignment. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "workers/audit/audit_crc32c.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

typedef uint32_t (*crc_fn)(uint32_t, const void *, size_t);
static const crc_fn FNS[] = {audit_crc32c_sw, audit_crc32c_hw, audit_crc32c};

static void test_crc32c_check_value_of_123456789(void **state)
{
	(void)state;
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(FNS[i](0, "123456789", 9), 0xe3069283u);
}

static void test_crc32c_rfc3720_vectors(void **state)
{
	(void)state;
	uint8_t b[48];
	for (size_t i = 0; i < 3; i++) {
		memset(b, 0, 32);
		assert_int_equal(FNS[i](0, b, 32), 0x8a9136aau);
		memset(b, 0xff, 32);
		assert_int_equal(FNS[i](0, b, 32), 0x62a8ab43u);
		for (int k = 0; k < 32; k++)
			b[k] = (uint8_t)k;
		assert_int_equal(FNS[i](0, b, 32), 0x46dd794eu);
		for (int k = 0; k < 32; k++)
			b[k] = (uint8_t)(31 - k);
		assert_int_equal(FNS[i](0, b, 32), 0x113fdb5cu);
		/* an iSCSI read command PDU */
		static const uint8_t pdu[48] = {
			0x01, 0xc0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
			0x00, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x00,
			0x00, 0x00, 0x00, 0x14, 0x00, 0x00, 0x00, 0x18, 0x28, 0x00, 0x00, 0x00,
			0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00};
		assert_int_equal(FNS[i](0, pdu, sizeof(pdu)), 0xd9963a56u);
	}
}

static void test_crc32c_empty_input_is_zero(void **state)
{
	(void)state;
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(FNS[i](0, "", 0), 0u);
}

static void test_crc32c_table_and_instruction_agree_on_every_length_and_alignment(void **state)
{
	(void)state;
	static uint8_t buf[1100];
	uint64_t x = 0x9e3779b97f4a7c15ull;
	for (size_t i = 0; i < sizeof(buf); i++) {
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		buf[i] = (uint8_t)x;
	}
	for (size_t off = 0; off < 8; off++)
		for (size_t len = 0; len + off <= 1090; len += (len < 70 ? 1 : 37))
			assert_int_equal(audit_crc32c_sw(0, buf + off, len),
					 audit_crc32c_hw(0, buf + off, len));
	printf("# crc32c instruction path: %s\n", audit_crc32c_has_hw() ? "SSE4.2" : "absent");
}

static void test_crc32c_extends_across_calls(void **state)
{
	(void)state;
	const char *s = "the quick brown fox jumps over the lazy dog";
	size_t n = strlen(s);
	uint32_t whole = audit_crc32c(0, s, n);
	for (size_t cut = 0; cut <= n; cut++) {
		assert_int_equal(audit_crc32c(audit_crc32c(0, s, cut), s + cut, n - cut), whole);
		assert_int_equal(audit_crc32c_sw(audit_crc32c_sw(0, s, cut), s + cut, n - cut),
				 whole);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c_check_value_of_123456789),
		cmocka_unit_test(test_crc32c_rfc3720_vectors),
		cmocka_unit_test(test_crc32c_empty_input_is_zero),
		cmocka_unit_test(
			test_crc32c_table_and_instruction_agree_on_every_length_and_alignment),
		cmocka_unit_test(test_crc32c_extends_across_calls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
