/*
 * Name spaces (kernel/space.c): names for rights, one name per port,
 * names never 0 or -1 and not reused at once, lookup both ways, removal,
 * rename and its errors, the per-task limit and the out-of-memory path of
 * space_reserve; and many random inserts and removals against a model.
 */
#include <check.h>
#include <stdlib.h>

#include "kt.h"

static struct ktask *t;
static struct space *s;

static void setup(void)
{
	kt_setup();
	t = kt_task("space");
	s = &t->space;
}

/* A port in s with `type` rights (only the entry's reference remains). */
static struct entry *new_entry(uint32_t type)
{
	struct port *p = port_alloc(&kern);

	ck_assert_ptr_nonnull(p);
	ck_assert_int_eq(space_reserve(s, 1), KERN_SUCCESS);
	struct entry *e = space_insert(s, p, type, NULL);
	ck_assert_ptr_nonnull(e);
	port_put(&kern, p);
	return e;
}

START_TEST(test_space_new_task_names_its_kernel_and_notify_ports_1_and_2)
{
	ck_assert_int_eq(t->self_name, 1);
	ck_assert_int_eq(t->notify_name, 2);
	ck_assert_uint_eq(s->count, 2);
	ck_assert_uint_eq(space_lookup(s, 1)->type, PORT_TYPE_SEND);
	ck_assert_uint_eq(space_lookup(s, 2)->type, PORT_TYPE_RECEIVE_OWN);
}
END_TEST

START_TEST(test_space_insert_gives_a_name_found_by_name_and_by_port)
{
	struct entry *e = new_entry(PORT_TYPE_SEND);

	ck_assert_int_eq(e->name, 3);
	ck_assert_ptr_eq(space_lookup(s, e->name), e);
	ck_assert_ptr_eq(space_lookup_port(s, e->port), e);
	ck_assert_ptr_eq(e->port->holders, e);
	ck_assert_uint_eq(e->port->refs, 1);
	ck_assert_uint_eq(s->count, 3);
}
END_TEST

START_TEST(test_space_insert_of_the_same_port_returns_the_same_name)
{
	int32_t name;

	ck_assert_int_eq(port_allocate_in(&kern, s, &name), KERN_SUCCESS);
	struct entry *e = space_lookup(s, name);
	uint32_t refs = e->port->refs;

	ck_assert_int_eq(space_reserve(s, 1), KERN_SUCCESS);
	ck_assert_ptr_eq(space_insert(s, e->port, PORT_TYPE_SEND, NULL), e);
	ck_assert_uint_eq(e->type, PORT_TYPE_RECEIVE_OWN);
	ck_assert_uint_eq(e->port->refs, refs);
	ck_assert_uint_eq(s->count, 3);
	/* The same holds with a preallocated entry: it is freed. */
	struct entry *pre = malloc(sizeof *pre);
	ck_assert_ptr_eq(space_insert(s, e->port, PORT_TYPE_SEND, pre), e);
	ck_assert_uint_eq(s->count, 3);
	ck_assert_int_eq(e->name, name);
}
END_TEST

START_TEST(test_space_insert_merges_new_rights_into_the_existing_entry)
{
	struct entry *e = new_entry(PORT_TYPE_SEND);

	ck_assert_int_eq(space_reserve(s, 1), KERN_SUCCESS);
	ck_assert_ptr_eq(space_insert(s, e->port, RIGHT_OWN, NULL), e);
	ck_assert_uint_eq(e->type, PORT_TYPE_OWN);
	e->type = PORT_TYPE_SEND;	/* no owner really: keep teardown sane */
}
END_TEST

START_TEST(test_space_lookup_of_0_and_minus_1_finds_nothing)
{
	ck_assert_ptr_null(space_lookup(s, 0));
	ck_assert_ptr_null(space_lookup(s, -1));
	ck_assert_ptr_null(space_lookup(s, 12345));
}
END_TEST

START_TEST(test_space_remove_forgets_the_name_and_drops_the_reference)
{
	struct entry *e = new_entry(PORT_TYPE_SEND);
	struct port *p = e->port;
	int32_t name = e->name;

	port_get(p);
	space_remove(s, e);
	ck_assert_ptr_null(space_lookup(s, name));
	ck_assert_ptr_null(space_lookup_port(s, p));
	ck_assert_ptr_null(p->holders);
	ck_assert_uint_eq(p->refs, 1);
	ck_assert_uint_eq(s->count, 2);
	port_put(&kern, p);
}
END_TEST

START_TEST(test_space_a_removed_name_is_not_handed_out_again_at_once)
{
	struct entry *e = new_entry(PORT_TYPE_SEND);
	int32_t name = e->name;

	space_remove(s, e);
	e = new_entry(PORT_TYPE_SEND);
	ck_assert_int_ne(e->name, name);
	ck_assert_int_eq(e->name, name + 1);
}
END_TEST

START_TEST(test_space_rename_moves_the_entry_to_the_new_name)
{
	struct entry *e = new_entry(PORT_TYPE_SEND);
	int32_t old = e->name;

	ck_assert_int_eq(space_rename(s, e, 1000), KERN_SUCCESS);
	ck_assert_int_eq(e->name, 1000);
	ck_assert_ptr_eq(space_lookup(s, 1000), e);
	ck_assert_ptr_null(space_lookup(s, old));
	ck_assert_ptr_eq(space_lookup_port(s, e->port), e);
	ck_assert_uint_eq(s->count, 3);
	ck_assert_int_eq(space_rename(s, e, 1000), KERN_SUCCESS);
}
END_TEST

START_TEST(test_space_rename_to_a_taken_name_returns_name_exists)
{
	struct entry *a = new_entry(PORT_TYPE_SEND);
	struct entry *b = new_entry(PORT_TYPE_SEND);

	ck_assert_int_eq(space_rename(s, a, b->name), KERN_NAME_EXISTS);
	ck_assert_ptr_eq(space_lookup(s, a->name), a);
	ck_assert_ptr_eq(space_lookup(s, b->name), b);
}
END_TEST

START_TEST(test_space_rename_to_0_or_minus_1_returns_invalid_argument)
{
	struct entry *e = new_entry(PORT_TYPE_SEND);
	int32_t name = e->name;

	ck_assert_int_eq(space_rename(s, e, 0), KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(space_rename(s, e, -1), KERN_INVALID_ARGUMENT);
	ck_assert_int_eq(e->name, name);
	ck_assert_ptr_eq(space_lookup(s, name), e);
}
END_TEST

START_TEST(test_space_a_name_taken_by_rename_is_skipped_by_insert)
{
	struct entry *e = new_entry(PORT_TYPE_SEND);

	ck_assert_int_eq(space_rename(s, e, e->name + 1), KERN_SUCCESS);
	struct entry *f = new_entry(PORT_TYPE_SEND);
	ck_assert_int_ne(f->name, e->name);
	ck_assert_ptr_eq(space_lookup(s, e->name), e);
	ck_assert_ptr_eq(space_lookup(s, f->name), f);
}
END_TEST

START_TEST(test_space_reserve_past_the_per_task_limit_returns_no_space)
{
	uint32_t count = s->count;

	ck_assert_int_eq(space_reserve(s, KERN_NAMES_PER_TASK), KERN_NO_SPACE);
	s->count = KERN_NAMES_PER_TASK;	/* pretend the space is full */
	ck_assert_int_eq(space_reserve(s, 1), KERN_NO_SPACE);
	s->count = count;
}
END_TEST

START_TEST(test_space_reserve_out_of_memory_returns_resource_shortage)
{
	uint32_t cap = s->by_name.cap;

	umach__fail_after(0);
	ck_assert_int_eq(space_reserve(s, 1000), KERN_RESOURCE_SHORTAGE);
	ck_assert_uint_eq(s->by_name.cap, cap);
	umach__fail_after(1);	/* the by_port table this time */
	ck_assert_int_eq(space_reserve(s, 1000), KERN_RESOURCE_SHORTAGE);
	umach__fail_after(-1);
	ck_assert_ptr_eq(space_lookup(s, t->self_name)->port, t->kport);
}
END_TEST

START_TEST(test_space_insert_without_prealloc_out_of_memory_returns_null)
{
	struct port *p = port_alloc(&kern);

	ck_assert_int_eq(space_reserve(s, 1), KERN_SUCCESS);
	umach__fail_after(0);
	ck_assert_ptr_null(space_insert(s, p, PORT_TYPE_SEND, NULL));
	ck_assert_ptr_null(space_lookup_port(s, p));
	ck_assert_uint_eq(p->refs, 1);
	ck_assert_uint_eq(s->count, 2);
	port_put(&kern, p);
}
END_TEST

#define NMODEL 3000

START_TEST(test_space_random_inserts_and_removes_keep_names_unique)
{
	static struct entry *model[NMODEL];
	uint64_t rng = 88172645463325252ull;
	uint32_t live = 0;

	for (uint32_t op = 0; op < 20000; op++) {
		rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
		uint32_t i = (uint32_t)(rng % NMODEL);
		if (model[i] == NULL) {
			model[i] = new_entry(PORT_TYPE_SEND);
			ck_assert_int_gt(model[i]->name, 0);
			live++;
		} else {
			int32_t name = model[i]->name;
			space_remove(s, model[i]);
			ck_assert_ptr_null(space_lookup(s, name));
			model[i] = NULL;
			live--;
		}
		ck_assert_uint_eq(s->count, live + 2);
	}
	for (uint32_t i = 0; i < NMODEL; i++) {
		if (model[i] == NULL)
			continue;
		ck_assert_ptr_eq(space_lookup(s, model[i]->name), model[i]);
		ck_assert_ptr_eq(space_lookup_port(s, model[i]->port),
				 model[i]);
	}
	/* teardown's kernel_fini removes the rest and frees their ports */
}
END_TEST

START_TEST(test_space_names_wrap_from_int_max_to_1_skipping_names_in_use)
{
	s->next_name = INT32_MAX - 1;
	ck_assert_int_eq(new_entry(PORT_TYPE_SEND)->name, INT32_MAX - 1);
	ck_assert_int_eq(new_entry(PORT_TYPE_SEND)->name, INT32_MAX);
	/* 1 and 2 are the kernel and notify ports. */
	ck_assert_int_eq(new_entry(PORT_TYPE_SEND)->name, 3);
	ck_assert_int_eq(new_entry(PORT_TYPE_SEND)->name, 4);
}
END_TEST


static Suite *space_suite(void)
{
	Suite *su = suite_create("space");
	TCase *tc = tcase_create("space");

	tcase_add_checked_fixture(tc, setup, kt_teardown);
	tcase_add_test(tc, test_space_new_task_names_its_kernel_and_notify_ports_1_and_2);
	tcase_add_test(tc, test_space_insert_gives_a_name_found_by_name_and_by_port);
	tcase_add_test(tc, test_space_insert_of_the_same_port_returns_the_same_name);
	tcase_add_test(tc, test_space_insert_merges_new_rights_into_the_existing_entry);
	tcase_add_test(tc, test_space_lookup_of_0_and_minus_1_finds_nothing);
	tcase_add_test(tc, test_space_remove_forgets_the_name_and_drops_the_reference);
	tcase_add_test(tc, test_space_a_removed_name_is_not_handed_out_again_at_once);
	tcase_add_test(tc, test_space_rename_moves_the_entry_to_the_new_name);
	tcase_add_test(tc, test_space_rename_to_a_taken_name_returns_name_exists);
	tcase_add_test(tc, test_space_rename_to_0_or_minus_1_returns_invalid_argument);
	tcase_add_test(tc, test_space_a_name_taken_by_rename_is_skipped_by_insert);
	tcase_add_test(tc, test_space_reserve_past_the_per_task_limit_returns_no_space);
	tcase_add_test(tc, test_space_reserve_out_of_memory_returns_resource_shortage);
	tcase_add_test(tc, test_space_insert_without_prealloc_out_of_memory_returns_null);
	tcase_add_test(tc, test_space_random_inserts_and_removes_keep_names_unique);
	tcase_add_test(tc, test_space_names_wrap_from_int_max_to_1_skipping_names_in_use);
	tcase_set_timeout(tc, 120);
	suite_add_tcase(su, tc);
	return su;
}

int main(void)
{
	SRunner *sr = srunner_create(space_suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
