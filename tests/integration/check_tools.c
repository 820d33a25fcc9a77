/*
 * The command-line tools as a user meets them: umach run starts and stops
 * a private kernel, passes the program's exit status through and writes
 * nothing to its stdout; umach kernel start/stop/status; exit codes 0, 1
 * and 2; umach-cc builds a K&R program with --legacy.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <check.h>
#include "harness.h"

#define B UMACH_BUILD_DIR

static char dir[64];

static void setup(void)
{
	char sock[128];

	snprintf(dir, sizeof dir, "/tmp/umach-tools-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	snprintf(sock, sizeof sock, "%s/k.sock", dir);
	setenv("UMACH_SOCKET", sock, 1);
	setenv("TMPDIR", dir, 1);	/* umach run's private kernels go here */
	unsetenv("UMACH_NETNAMED");
	unsetenv("UMACH_ENVMGRD");
}

static void teardown(void)
{
	char cmd[256];

	snprintf(cmd, sizeof cmd, B "/umach kernel stop >/dev/null 2>&1; rm -rf %s", dir);
	ck_assert_int_ge(system(cmd), 0);
}


static int count_run_dirs(void)
{
	DIR *d = opendir(dir);		/* $TMPDIR: ours alone */
	struct dirent *e;
	int n = 0;

	while (d != NULL && (e = readdir(d)) != NULL)
		n += strncmp(e->d_name, "umach-run-", 10) == 0;
	if (d != NULL)
		closedir(d);
	return n;
}

START_TEST(test_umach_run_passes_the_exit_status_and_cleans_up)
{
	char out[4096];
	int before = count_run_dirs();

	ck_assert_int_eq(harness_sh(B "/umach run " B "/examples/demo", out, sizeof out), 0);
	ck_assert_ptr_nonnull(strstr(out, "NOTIFY_PORT_DELETED"));
	ck_assert_int_eq(harness_sh(B "/umach run sh -c 'exit 7'", NULL, 0), 7);
	ck_assert_int_eq(harness_sh(B "/umach run --profile mach25 true", NULL, 0), 0);
	ck_assert_int_eq(count_run_dirs(), before);
	/* the private kernel is gone with its program */
	ck_assert_int_eq(harness_sh(B "/umach kernel status >/dev/null", NULL, 0), 1);
}
END_TEST

START_TEST(test_umach_run_writes_nothing_to_the_programs_stdout)
{
	char out[256];

	ck_assert_int_eq(harness_sh(B "/umach run true", out, sizeof out), 0);
	ck_assert_str_eq(out, "");
	ck_assert_int_eq(harness_sh(B "/umach run echo hi", out, sizeof out), 0);
	ck_assert_str_eq(out, "hi\n");
}
END_TEST

START_TEST(test_umach_exit_codes_are_0_ok_1_error_2_usage)
{
	ck_assert_int_eq(harness_sh(B "/umach --help >/dev/null", NULL, 0), 0);
	ck_assert_int_eq(harness_sh(B "/umach 2>/dev/null", NULL, 0), 2);
	ck_assert_int_eq(harness_sh(B "/umach frobnicate 2>/dev/null", NULL, 0), 2);
	ck_assert_int_eq(harness_sh(B "/umach run --profile bogus true 2>/dev/null", NULL, 0), 2);
	ck_assert_int_eq(harness_sh(B "/umach kernel stop 2>/dev/null", NULL, 0), 1);
	ck_assert_int_eq(harness_sh(B "/umachd --help >/dev/null", NULL, 0), 0);
	ck_assert_int_eq(harness_sh(B "/umachd --profile bogus 2>/dev/null", NULL, 0), 2);
	ck_assert_int_eq(harness_sh(B "/umach-cc --help >/dev/null", NULL, 0), 0);
}
END_TEST

START_TEST(test_umach_kernel_start_status_stop)
{
	char out[512];

	ck_assert_int_eq(harness_sh(B "/umach kernel start 2>/dev/null", out, sizeof out), 0);
	ck_assert_ptr_nonnull(strstr(out, "serves"));
	ck_assert_int_eq(harness_sh(B "/umach kernel start 2>/dev/null", NULL, 0), 1);
	ck_assert_int_eq(harness_sh(B "/umach kernel status", out, sizeof out), 0);
	/* umach run uses the running kernel */
	ck_assert_int_eq(harness_sh(B "/umach run " B "/examples/demo >/dev/null", NULL, 0), 0);
	ck_assert_int_eq(harness_sh(B "/umach kernel stop", out, sizeof out), 0);
	ck_assert_int_eq(access(getenv("UMACH_SOCKET"), F_OK), -1);
	ck_assert_int_eq(harness_sh(B "/umach kernel status", out, sizeof out), 1);
}
END_TEST

START_TEST(test_umach_cc_legacy_builds_a_k_and_r_program)
{
	char src[128], bin[128], cmd[512], out[256];

	snprintf(src, sizeof src, "%s/old.c", dir);
	snprintf(bin, sizeof bin, "%s/old", dir);
	FILE *f = fopen(src, "w");
	ck_assert_ptr_nonnull(f);
	fputs("#include <mach.h>\nchar *malloc();\nint printf();\nint count;\n"
	      "main(argc, argv) int argc; char **argv;\n{\n"
	      "\tport_t p;\n\tif (port_allocate(task_self(), &p) != KERN_SUCCESS)\n"
	      "\t\treturn 1;\n\tprintf(\"%d\\n\", p != PORT_NULL);\n\treturn 0;\n}\n", f);
	fclose(f);
	snprintf(cmd, sizeof cmd, B "/umach-cc --legacy -o %s %s", bin, src);
	ck_assert_int_eq(harness_sh(cmd, NULL, 0), 0);
	snprintf(cmd, sizeof cmd, B "/umach run %s", bin);
	ck_assert_int_eq(harness_sh(cmd, out, sizeof out), 0);
	ck_assert_str_eq(out, "1\n");
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("tools");
	TCase *tc = tcase_create("tools");

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 60);
	tcase_add_test(tc, test_umach_run_passes_the_exit_status_and_cleans_up);
	tcase_add_test(tc, test_umach_run_writes_nothing_to_the_programs_stdout);
	tcase_add_test(tc, test_umach_exit_codes_are_0_ok_1_error_2_usage);
	tcase_add_test(tc, test_umach_kernel_start_status_stop);
	tcase_add_test(tc, test_umach_cc_legacy_builds_a_k_and_r_program);
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	return harness_run(suite());
}
