/*
 * Kernel limits that a task reaches by number (T7 of reference
 * reliability.md, in-process half; tests/stress/t7_quota.c attaches real
 * tasks): tasks per uid and in total, each at limit + 1, and the
 * dispatch budget, which serves at most KERN_CALLS_PER_PASS slots of one
 * task per pass and leaves the rest pending.  The limits of messages,
 * names and backlogs are tested beside their calls (check_msgq,
 * check_space, check_port).  Also the edge cases the stress tier found.
 */
#include <check.h>
#include <stdint.h>

#include "kt.h"

static void setup(void)
{
	kt_setup();
}

START_TEST(test_limits_task_past_per_uid_limit_is_refused_and_other_uids_attach)
{
	static struct ktask *t[KERN_TASKS_PER_UID];

	for (uint32_t i = 0; i < KERN_TASKS_PER_UID; i++) {
		t[i] = ktask_create(&kern, 100 + (pid_t)i, 4242, "u");
		ck_assert_ptr_nonnull(t[i]);
	}
	uint64_t ports = kern.nports;
	ck_assert_ptr_null(ktask_create(&kern, 1, 4242, "one too many"));
	ck_assert_uint_eq(kern.ntasks, KERN_TASKS_PER_UID);
	ck_assert_uint_eq(kern.nports, ports);	/* nothing left behind */
	ck_assert_ptr_nonnull(ktask_create(&kern, 2, 4243, "another user"));
	/* The limit counts live tasks: one goes, one more may come. */
	ktask_destroy(&kern, t[0]);
	ck_assert_ptr_nonnull(ktask_create(&kern, 3, 4242, "in its place"));
}
END_TEST

START_TEST(test_limits_boot_services_do_not_count_against_their_uid)
{
	kern.boot_role = BOOT_NAME_SERVER;
	ck_assert_ptr_nonnull(ktask_create(&kern, 10, 4242, "umach-netnamed"));
	kern.boot_role = BOOT_ENV_MGR;
	ck_assert_ptr_nonnull(ktask_create(&kern, 11, 4242, "umach-envmgrd"));
	kern.boot_role = BOOT_NONE;
	for (uint32_t i = 0; i < KERN_TASKS_PER_UID; i++)
		ck_assert_ptr_nonnull(ktask_create(&kern, 100 + (pid_t)i, 4242, "u"));
	ck_assert_ptr_null(ktask_create(&kern, 1, 4242, "one too many"));
	ck_assert_uint_eq(kern.ntasks, KERN_TASKS_PER_UID + 2);
}
END_TEST

START_TEST(test_limits_task_past_kernel_limit_is_refused_for_any_uid)
{
	uint32_t per = KERN_TASKS_PER_UID;

	for (uint32_t i = 0; i < KERN_TASKS_MAX; i++)
		ck_assert_ptr_nonnull(ktask_create(&kern, 1, 5000 + i / per, "t"));
	ck_assert_ptr_null(ktask_create(&kern, 1, 9999, "one too many"));
	ck_assert_uint_eq(kern.ntasks, KERN_TASKS_MAX);
}
END_TEST

/* Post a receive on slot i without letting the kernel serve it. */
static void post_quietly(struct ktask *t, uint32_t i, int32_t name)
{
	struct umach_slot *s = &t->chan->slot[i];

	s->call = UMACH_CALL_MSG_RECEIVE;
	s->option = RCV_TIMEOUT;
	s->rcv_size = UMACH_MSG_BUF;
	s->rcv_timeout_ms = 0;
	s->rcv_name = name;
	atomic_fetch_add(&s->req_seq, 1);
	atomic_fetch_or(&t->chan->pending, 1ull << i);
}

START_TEST(test_limits_one_pass_serves_at_most_the_budget_and_keeps_the_rest)
{
	struct ktask *t = kt_task("flood");
	const uint32_t n = 10;

	for (uint32_t i = 0; i < n; i++)
		post_quietly(t, i, t->notify_name);
	ck_assert_int_eq(ktask_service(&kern, t), KERN_CALLS_PER_PASS);
	uint32_t done = 0;
	for (uint32_t i = 0; i < n; i++)
		done += kt_done(t, i);
	ck_assert_uint_eq(done, KERN_CALLS_PER_PASS);
	ck_assert_uint_eq(__builtin_popcountll(atomic_load(&t->chan->pending)),
			  n - KERN_CALLS_PER_PASS);
	/* Later passes serve the rest, each an empty notify port's
	 * RCV_TIMED_OUT. */
	while (atomic_load(&t->chan->pending) != 0)
		ck_assert_int_le(ktask_service(&kern, t), KERN_CALLS_PER_PASS);
	for (uint32_t i = 0; i < n; i++)
		ck_assert_int_eq(kt_status(t, i), RCV_TIMED_OUT);
}
END_TEST

/* Found by T3's scribbler under UBSan: the reply id was id + 100 in int. */
START_TEST(test_limits_kernel_call_with_id_int_max_gets_a_wrapped_reply_id)
{
	struct ktask *t = kt_task("edge");
	struct kt_msg m;

	kt_msg_init(&m, t->self_name, kt_reply_port(t), INT32_MAX);
	ck_assert_int_eq(kt_rpc(t, 0, &m, RCV_TIMEOUT, UMACH_MSG_BUF, 0),
			 RPC_SUCCESS);
	ck_assert_int_eq(kt_hdr(t, 0)->msg_id,
			 (int32_t)((uint32_t)INT32_MAX + 100u));
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("limits");
	TCase *tc = tcase_create("limits");

	tcase_add_checked_fixture(tc, setup, kt_teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_limits_task_past_per_uid_limit_is_refused_and_other_uids_attach);
	tcase_add_test(tc, test_limits_boot_services_do_not_count_against_their_uid);
	tcase_add_test(tc, test_limits_task_past_kernel_limit_is_refused_for_any_uid);
	tcase_add_test(tc, test_limits_one_pass_serves_at_most_the_budget_and_keeps_the_rest);
	tcase_add_test(tc, test_limits_kernel_call_with_id_int_max_gets_a_wrapped_reply_id);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());

	srunner_run_all(sr, CK_NORMAL);
	int failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}
