/*
 * The hash map behind name spaces (kernel/hmap.c): insert, replace,
 * lookup and backward-shift deletion, checked against a naive model over
 * many random keys and on a cluster that wraps round the end of the table,
 * plus hmap_reserve's growth and its out-of-memory path.
 */
#include <check.h>
#include <stdint.h>
#include <stdlib.h>

#include "hmap.h"
#include "fail.h"

static struct hmap m;

static void setup(void)
{
	umach__fail_after(-1);
	hmap_init(&m);
}

static void teardown(void)
{
	umach__fail_after(-1);
	hmap_fini(&m);
}

/* Distinct non-NULL values to store: the address of a byte in vals. */
static char vals[4096];
#define V(i) ((void *)&vals[(i)])

static void put(uint64_t key, void *val)
{
	ck_assert_int_eq(hmap_reserve(&m, 1), 0);
	hmap_put(&m, key, val);
}

START_TEST(test_hmap_get_on_an_empty_map_returns_null)
{
	ck_assert_ptr_null(hmap_get(&m, 1));
	ck_assert_ptr_null(hmap_del(&m, 1));
	ck_assert_uint_eq(m.len, 0);
}
END_TEST

START_TEST(test_hmap_put_then_get_returns_the_value)
{
	put(42, V(1));
	put(43, V(2));
	ck_assert_ptr_eq(hmap_get(&m, 42), V(1));
	ck_assert_ptr_eq(hmap_get(&m, 43), V(2));
	ck_assert_ptr_null(hmap_get(&m, 44));
	ck_assert_uint_eq(m.len, 2);
}
END_TEST

START_TEST(test_hmap_put_of_an_existing_key_replaces_without_growing_len)
{
	put(7, V(1));
	put(7, V(2));
	ck_assert_ptr_eq(hmap_get(&m, 7), V(2));
	ck_assert_uint_eq(m.len, 1);
}
END_TEST

START_TEST(test_hmap_del_returns_the_value_and_forgets_the_key)
{
	put(7, V(1));
	put(8, V(2));
	ck_assert_ptr_eq(hmap_del(&m, 7), V(1));
	ck_assert_ptr_null(hmap_get(&m, 7));
	ck_assert_ptr_eq(hmap_get(&m, 8), V(2));
	ck_assert_ptr_null(hmap_del(&m, 7));
	ck_assert_uint_eq(m.len, 1);
}
END_TEST

START_TEST(test_hmap_reserve_keeps_the_load_factor_at_most_half)
{
	for (uint64_t key = 1; key <= 1000; key++) {
		put(key * 977, V(key));
		ck_assert_uint_le(2 * m.len, m.cap);
		ck_assert_uint_eq(m.cap & (m.cap - 1), 0);
	}
	for (uint64_t key = 1; key <= 1000; key++)
		ck_assert_ptr_eq(hmap_get(&m, key * 977), V(key));
}
END_TEST

START_TEST(test_hmap_reserve_out_of_memory_returns_minus_1_and_keeps_the_map)
{
	put(1, V(1));
	struct hslot *before = m.slots;
	uint32_t cap = m.cap;

	umach__fail_after(0);
	ck_assert_int_eq(hmap_reserve(&m, 1000), -1);
	ck_assert_ptr_eq(m.slots, before);
	ck_assert_uint_eq(m.cap, cap);
	ck_assert_ptr_eq(hmap_get(&m, 1), V(1));
	/* Room already there needs no allocation, so it cannot fail. */
	umach__fail_after(0);
	ck_assert_int_eq(hmap_reserve(&m, 1), 0);
	umach__fail_after(-1);
}
END_TEST

/* Keys whose home slot is `home` in a table of 8 slots, found by looking
 * where each lands alone in a fresh map (no knowledge of the hash). */
static uint32_t keys_with_home(uint32_t home, uint64_t *out, uint32_t n)
{
	uint32_t found = 0;

	for (uint64_t key = 1; found < n && key < 100000; key++) {
		struct hmap one;
		hmap_init(&one);
		ck_assert_int_eq(hmap_reserve(&one, 1), 0);
		ck_assert_uint_eq(one.cap, 8);
		hmap_put(&one, key, V(1));
		if (one.slots[home].key == key)
			out[found++] = key;
		hmap_fini(&one);
	}
	return found;
}

START_TEST(test_hmap_del_in_a_cluster_that_wraps_keeps_every_other_key)
{
	uint64_t k7[3], k0[1];

	ck_assert_uint_eq(keys_with_home(7, k7, 3), 3);
	ck_assert_uint_eq(keys_with_home(0, k0, 1), 1);
	for (int victim = 0; victim < 4; victim++) {
		uint64_t all[4] = { k7[0], k7[1], k7[2], k0[0] };
		hmap_init(&m);
		ck_assert_int_eq(hmap_reserve(&m, 4), 0);
		ck_assert_uint_eq(m.cap, 8);
		/* Slots 7, 0, 1, 2: three keys homed at 7 wrap to 0 and 1,
		 * which pushes the key homed at 0 to slot 2. */
		for (int i = 0; i < 4; i++)
			hmap_put(&m, all[i], V(i + 1));
		ck_assert_ptr_eq(hmap_del(&m, all[victim]), V(victim + 1));
		for (int i = 0; i < 4; i++)
			if (i != victim)
				ck_assert_msg(hmap_get(&m, all[i]) == V(i + 1),
					      "victim %d lost key %d", victim, i);
		ck_assert_ptr_null(hmap_get(&m, all[victim]));
		ck_assert_uint_eq(m.len, 3);
		hmap_fini(&m);
	}
}
END_TEST

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t next_rand(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

#define NKEYS 1500

/* Random puts and deletes over a small key range (many collisions and
 * deletions inside clusters), compared after each with a plain array. */
static void random_ops(uint64_t key_scale, uint32_t nops)
{
	static void *model[NKEYS + 1];
	uint32_t live = 0;

	for (uint32_t i = 0; i <= NKEYS; i++)
		model[i] = NULL;
	for (uint32_t op = 0; op < nops; op++) {
		uint32_t i = 1 + (uint32_t)(next_rand() % NKEYS);
		uint64_t key = i * key_scale;
		if (next_rand() % 3 == 0) {
			ck_assert_ptr_eq(hmap_del(&m, key), model[i]);
			live -= model[i] != NULL;
			model[i] = NULL;
		} else {
			void *v = V(next_rand() % sizeof vals);
			put(key, v);
			live += model[i] == NULL;
			model[i] = v;
		}
		ck_assert_uint_eq(m.len, live);
		if (op % 256 != 0)
			continue;
		for (uint32_t j = 1; j <= NKEYS; j++)
			ck_assert_msg(hmap_get(&m, j * key_scale) == model[j],
				      "op %u: key %u disagrees", op, j);
	}
	for (uint32_t j = 1; j <= NKEYS; j++)
		ck_assert_ptr_eq(hmap_get(&m, j * key_scale), model[j]);
}

START_TEST(test_hmap_random_puts_and_deletes_agree_with_a_naive_model)
{
	random_ops(1, 40000);
}
END_TEST

START_TEST(test_hmap_random_pointer_like_keys_agree_with_a_naive_model)
{
	/* Space keys are port addresses: multiples of a struct size. */
	random_ops(0x7f3a12345640ull / NKEYS & ~0xfull, 40000);
}
END_TEST

START_TEST(test_hmap_deleting_every_key_leaves_the_map_empty)
{
	for (uint64_t key = 1; key <= 500; key++)
		put(key, V(key));
	for (uint64_t key = 500; key >= 1; key -= 2)
		ck_assert_ptr_eq(hmap_del(&m, key), V(key));
	for (uint64_t key = 1; key <= 500; key += 2)
		ck_assert_ptr_eq(hmap_del(&m, key), V(key));
	ck_assert_uint_eq(m.len, 0);
	for (uint32_t i = 0; i < m.cap; i++)
		ck_assert_uint_eq(m.slots[i].key, 0);
}
END_TEST

static Suite *hmap_suite(void)
{
	Suite *s = suite_create("hmap");
	TCase *tc = tcase_create("hmap");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_add_test(tc, test_hmap_get_on_an_empty_map_returns_null);
	tcase_add_test(tc, test_hmap_put_then_get_returns_the_value);
	tcase_add_test(tc, test_hmap_put_of_an_existing_key_replaces_without_growing_len);
	tcase_add_test(tc, test_hmap_del_returns_the_value_and_forgets_the_key);
	tcase_add_test(tc, test_hmap_reserve_keeps_the_load_factor_at_most_half);
	tcase_add_test(tc, test_hmap_reserve_out_of_memory_returns_minus_1_and_keeps_the_map);
	tcase_add_test(tc, test_hmap_del_in_a_cluster_that_wraps_keeps_every_other_key);
	tcase_add_test(tc, test_hmap_random_puts_and_deletes_agree_with_a_naive_model);
	tcase_add_test(tc, test_hmap_random_pointer_like_keys_agree_with_a_naive_model);
	tcase_add_test(tc, test_hmap_deleting_every_key_leaves_the_map_empty);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(hmap_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
