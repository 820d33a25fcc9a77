/*
 * check_umig_corpus.c: tests of the umig command as a whole.  The "cli"
 * case covers options, exit codes, cpp line tracking and "no output on
 * errors" with the fixtures in tests/stubs.  The "corpus" case runs umig
 * and GNU MIG (x86_64-gnu-mig, Debian mig-x86-64-gnu) over the 19
 * gnumach-dev subsystems in four configurations and requires identical
 * -list ids, and checks that the 6 type-only files fail cleanly.  Without
 * gnumach-dev or the MIG driver the corpus case prints "SKIP: ..." and
 * passes.  The binary comes from $UMIG (default: this build tree's umig).
 */
#include <check.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define FIX UMIG_FIXTURES

static char tmpdir[64];
static char err_path[128];              // stderr of the last command

static const char *const subsystems[] = {
	"device/device.defs", "device/device_reply.defs",
	"device/device_request.defs", "mach/bootstrap.defs",
	"mach/default_pager.defs", "mach/default_pager_helper.defs",
	"mach/exc.defs", "mach/experimental.defs", "mach/gnumach.defs",
	"mach/mach.defs", "mach/mach4.defs", "mach/mach_host.defs",
	"mach/mach_port.defs", "mach/memory_object.defs",
	"mach/memory_object_default.defs", "mach/notify.defs",
	"mach/task_notify.defs", "mach/x86_64/mach_i386.defs",
	"mach_debug/mach_debug.defs",
};
#define NSUB ((int)(sizeof(subsystems) / sizeof(subsystems[0])))

static const char *const type_files[] = {
	"mach/std_types.defs", "mach/mach_types.defs",
	"mach/x86_64/machine_types.defs", "device/device_types.defs",
	"mach/default_pager_types.defs", "mach_debug/mach_debug_types.defs",
};

static const char *const configs[] = { "", "-DKERNEL_SERVER", "-DKERNEL_USER", "-DSEQNOS" };

static void setup(void)
{
	strcpy(tmpdir, "/tmp/umig-test-XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(tmpdir));
	snprintf(err_path, sizeof(err_path), "%s/stderr", tmpdir);
}

static void teardown(void)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	ck_assert_int_eq(system(cmd), 0);
}

/* Runs "$UMIG args" with stderr in err_path; returns its exit status. */
static int umig(const char *args)
{
	char cmd[4096];
	int st;

	snprintf(cmd, sizeof(cmd), "\"$UMIG\" %s 2>'%s'", args, err_path);
	st = system(cmd);
	ck_assert_msg(WIFEXITED(st), "shell died");
	return WEXITSTATUS(st);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	char *buf;
	long n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	return buf;
}

static void assert_stderr_has(const char *want)
{
	char *err = slurp(err_path);

	ck_assert_msg(err && strstr(err, want), "expected \"%s\" in stderr:\n%s",
		      want, err ? err : "(none)");
	free(err);
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static void assert_files_equal(const char *got, const char *want)
{
	char *g = slurp(got), *w = slurp(want);

	ck_assert_ptr_nonnull(g);
	ck_assert_ptr_nonnull(w);
	ck_assert_str_eq(g, w);
	free(g);
	free(w);
}

/* ---- Command line ---- */

START_TEST(test_cli_list_of_fixture_matches_golden)
{
	char args[512], out[128];

	snprintf(out, sizeof(out), "%s/calc.list", tmpdir);
	snprintf(args, sizeof(args), "-list %s " FIX "/calc.defs", out);
	ck_assert_int_eq(umig(args), 0);
	assert_files_equal(out, FIX "/calc.list");
}
END_TEST

START_TEST(test_cli_define_reaches_the_preprocessor)
{
	char args[512], out[128];

	snprintf(out, sizeof(out), "%s/calc.list", tmpdir);
	snprintf(args, sizeof(args), "-D CALC_EXTRA -list %s " FIX "/calc.defs", out);
	ck_assert_int_eq(umig(args), 0);
	assert_files_equal(out, FIX "/calc_extra.list");
}
END_TEST

START_TEST(test_cli_mach25_fixture_lists_old_routine_kinds)
{
	char args[512], out[128];

	snprintf(out, sizeof(out), "%s/m.list", tmpdir);
	snprintf(args, sizeof(args), "-list %s " FIX "/mach25.defs", out);
	ck_assert_int_eq(umig(args), 0);
	assert_files_equal(out, FIX "/mach25.list");
}
END_TEST

START_TEST(test_cli_errors_exit_1_and_write_no_output)
{
	char args[512], out[128];

	snprintf(out, sizeof(out), "%s/e.list", tmpdir);
	snprintf(args, sizeof(args), "-list %s " FIX "/errors.defs", out);
	ck_assert_int_eq(umig(args), 1);
	ck_assert(!exists(out));
	assert_stderr_has(FIX "/errors.defs:3:12: error: array bound must be positive");
	assert_stderr_has(FIX "/errors.defs:4:22: error: undefined type 'no_such_t'");
	assert_stderr_has(FIX "/errors.defs:5:9: error: routine 'one' already defined at line 4");
	assert_stderr_has(FIX "/errors.defs:6:36: error: simpleroutine 'two' cannot have out argument 'y'");
	assert_stderr_has("umig: 4 errors; no output written");
}
END_TEST

START_TEST(test_cli_syntax_errors_are_all_reported)
{
	ck_assert_int_eq(umig(FIX "/syntax.defs"), 1);
	assert_stderr_has(FIX "/syntax.defs:4:30: error: expected ';' or ')'");
	assert_stderr_has(FIX "/syntax.defs:5:10: error: expected a type, found ';'");
	assert_stderr_has("umig: 2 errors");
}
END_TEST

START_TEST(test_cli_errors_in_included_file_name_that_file)
{
	char path[128], args[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/inc.defs", tmpdir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("subsystem inc 1;\n#include \"calc_types.defs\"\n\n"
	      "routine r(p : port_t; x : missing_t);\n", f);
	fclose(f);
	snprintf(args, sizeof(args), "-I " FIX " -DMACH_MSG_TYPE_INTEGER_32=nope %s",
		 path);
	ck_assert_int_eq(umig(args), 1);
	assert_stderr_has("calc_types.defs:3:14: error: undefined type 'nope'");
	assert_stderr_has("inc.defs:4:27: error: undefined type 'missing_t'");
}
END_TEST

START_TEST(test_cli_an_unsupported_construct_writes_none_of_the_outputs)
{
	char args[768], u[128], h[128], l[128];

	snprintf(u, sizeof(u), "%s/u.c", tmpdir);
	snprintf(h, sizeof(h), "%s/u.h", tmpdir);
	snprintf(l, sizeof(l), "%s/u.list", tmpdir);
	snprintf(args, sizeof(args), "-list %s -header %s -user %s "
		 FIX "/unsupported.defs", l, h, u);
	ck_assert_int_eq(umig(args), 1);
	ck_assert(!exists(u));
	ck_assert(!exists(h));
	ck_assert(!exists(l));
	assert_stderr_has(FIX "/unsupported.defs:9:28: error: 'o': "
			  "intranpayload: is not supported");
	assert_stderr_has("no output written");
	/* No temporary file is left behind either. */
	snprintf(args, sizeof(args), "ls %s | grep -c umig- >/dev/null", tmpdir);
	ck_assert_int_ne(system(args), 0);
}
END_TEST

START_TEST(test_cli_writes_all_four_outputs)
{
	char args[768], d[128];

	snprintf(d, sizeof(d), "%s/g", tmpdir);
	snprintf(args, sizeof(args), "mkdir -p %s", d);
	ck_assert_int_eq(system(args), 0);
	snprintf(args, sizeof(args), "-I " FIX " -DCALC_EXTRA -user %s/U.c "
		 "-server %s/S.c -header %s/c.h -sheader %s/S.h " FIX
		 "/calc.defs", d, d, d, d);
	ck_assert_int_eq(umig(args), 0);
	snprintf(args, sizeof(args), "%s/U.c", d);
	ck_assert(exists(args));
	snprintf(args, sizeof(args), "%s/S.c", d);
	ck_assert(exists(args));
	snprintf(args, sizeof(args), "%s/c.h", d);
	ck_assert(exists(args));
	snprintf(args, sizeof(args), "%s/S.h", d);
	ck_assert(exists(args));
}
END_TEST

START_TEST(test_cli_help_exits_0_and_usage_errors_exit_2)
{
	ck_assert_int_eq(umig("--help >/dev/null"), 0);
	ck_assert_int_eq(umig(""), 2);
	assert_stderr_has("usage: umig");
	ck_assert_int_eq(umig("-bogus " FIX "/calc.defs"), 2);
	assert_stderr_has("unknown option '-bogus'");
	ck_assert_int_eq(umig("-list"), 2);
	ck_assert_int_eq(umig(FIX "/calc.defs " FIX "/mach25.defs"), 2);
}
END_TEST

START_TEST(test_cli_missing_input_or_failing_cpp_exits_1)
{
	char path[128];
	FILE *f;

	ck_assert_int_eq(umig("/nonexistent/x.defs"), 1);
	assert_stderr_has("umig: cannot read /nonexistent/x.defs");
	snprintf(path, sizeof(path), "%s/bad.defs", tmpdir);
	f = fopen(path, "w");
	ck_assert_ptr_nonnull(f);
	fputs("#include \"no_such_file.defs\"\n", f);
	fclose(f);
	ck_assert_int_eq(umig(path), 1);
	assert_stderr_has("umig: preprocessor 'cc -E -x c -undef -ansi' failed");
}
END_TEST

START_TEST(test_cli_cpp_environment_variable_overrides_the_command)
{
	char args[512];

	snprintf(args, sizeof(args), "-list - " FIX "/mach25.defs > %s/o", tmpdir);
	setenv("CPP", "cat", 1);
	ck_assert_int_eq(umig(args), 0);
	setenv("CPP", "false", 1);
	ck_assert_int_eq(umig(args), 1);
	assert_stderr_has("umig: preprocessor 'false' failed");
	unsetenv("CPP");
}
END_TEST

/* ---- gnumach-dev corpus against GNU MIG ---- */

static char inc_dir[512];
static char mig_path[512];

/* First line of a shell command's output, or "" (the tools may be absent). */
static void shell_line(const char *cmd, char *out, size_t len)
{
	FILE *p = popen(cmd, "r");

	out[0] = '\0';
	if (p == NULL)
		return;
	if (fgets(out, (int)len, p) == NULL)
		out[0] = '\0';
	out[strcspn(out, "\n")] = '\0';
	pclose(p);
}

static bool find_corpus_tools(void)
{
	shell_line("dpkg -L gnumach-dev 2>/dev/null | grep '/mach/std_types.defs$'"
		   " | xargs -r dirname | xargs -r dirname", inc_dir, sizeof(inc_dir));
	shell_line("dpkg -L mig-x86-64-gnu 2>/dev/null | grep 'bin/x86_64-gnu-mig$'",
		   mig_path, sizeof(mig_path));
	if (mig_path[0] == '\0')
		shell_line("command -v x86_64-gnu-mig", mig_path, sizeof(mig_path));
	return inc_dir[0] != '\0' && mig_path[0] != '\0';
}

START_TEST(test_corpus_is_skipped_without_gnumach_dev_or_mig)
{
	printf("SKIP: gnumach-dev or the GNU MIG driver x86_64-gnu-mig "
	       "(mig-x86-64-gnu) is not installed; corpus not compared\n");
}
END_TEST

/*
 * GNU MIG lines are "sub base name index req reply" with reply 0 for
 * one-way routines; umig prints "sub name index req reply" with
 * reply = req + 100 always.  Rewrites want into umig's form.
 */
static char *mig_list_as_umig(const char *path)
{
	FILE *f = fopen(path, "r");
	char line[512], sub[128], name[256], *out = NULL;
	unsigned long base, idx, req, rep;
	size_t len = 0;
	FILE *o = open_memstream(&out, &len);

	ck_assert_ptr_nonnull(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		ck_assert_int_eq(sscanf(line, "%127s %lu %255s %lu %lu %lu", sub,
					&base, name, &idx, &req, &rep), 6);
		fprintf(o, "%s %s %lu %lu %lu\n", sub, name, idx, req,
			rep ? rep : req + 100);
	}
	fclose(f);
	fclose(o);
	return out;
}

START_TEST(test_corpus_list_ids_match_gnu_mig)
{
	const char *file = subsystems[_i / 4], *cfg = configs[_i % 4];
	char cmd[2048], mig_out[128], umig_out[128];
	char *want, *got;

	snprintf(mig_out, sizeof(mig_out), "%s/mig.list", tmpdir);
	snprintf(umig_out, sizeof(umig_out), "%s/umig.list", tmpdir);
	snprintf(cmd, sizeof(cmd), "cd '%s' && '%s' -D__x86_64__ %s -I'%s' "
		 "-user /dev/null -server /dev/null -header /dev/null -list "
		 "'%s' '%s/%s' 2>/dev/null", tmpdir, mig_path, cfg, inc_dir,
		 mig_out, inc_dir, file);
	ck_assert_msg(system(cmd) == 0, "GNU MIG failed on %s %s", file, cfg);
	/* The code emitters run too: every subsystem gets its four files. */
	snprintf(cmd, sizeof(cmd), "-D__x86_64__ %s -I'%s' -list '%s' -user "
		 "%s/U.c -server %s/S.c -header %s/u.h -sheader %s/S.h '%s/%s'",
		 cfg, inc_dir, umig_out, tmpdir, tmpdir, tmpdir, tmpdir, inc_dir,
		 file);
	ck_assert_msg(umig(cmd) == 0, "umig failed on %s %s", file, cfg);
	snprintf(cmd, sizeof(cmd), "%s/S.h", tmpdir);
	ck_assert(exists(cmd));
	want = mig_list_as_umig(mig_out);
	got = slurp(umig_out);
	ck_assert_ptr_nonnull(got);
	ck_assert_msg(want[0] != '\0', "GNU MIG listed nothing for %s", file);
	ck_assert_msg(strcmp(want, got) == 0, "%s %s: ids differ\nGNU MIG:\n%s"
		      "umig:\n%s", file, cfg, want, got);
	free(want);
	free(got);
}
END_TEST

START_TEST(test_corpus_type_only_file_fails_cleanly)
{
	char args[2048], out[128];

	snprintf(out, sizeof(out), "%s/t.list", tmpdir);
	snprintf(args, sizeof(args), "-D__x86_64__ -I'%s' -list '%s' '%s/%s'",
		 inc_dir, out, inc_dir, type_files[_i]);
	ck_assert_int_eq(umig(args), 1);
	assert_stderr_has("error: no subsystem declared");
	ck_assert(!exists(out));
}
END_TEST

static Suite *umig_corpus_suite(void)
{
	Suite *s = suite_create("umig_corpus");
	TCase *cli = tcase_create("cli"), *corpus = tcase_create("corpus");

	tcase_add_checked_fixture(cli, setup, teardown);
	tcase_add_checked_fixture(corpus, setup, teardown);
	tcase_set_timeout(corpus, 60);
	tcase_add_test(cli, test_cli_list_of_fixture_matches_golden);
	tcase_add_test(cli, test_cli_define_reaches_the_preprocessor);
	tcase_add_test(cli, test_cli_mach25_fixture_lists_old_routine_kinds);
	tcase_add_test(cli, test_cli_errors_exit_1_and_write_no_output);
	tcase_add_test(cli, test_cli_syntax_errors_are_all_reported);
	tcase_add_test(cli, test_cli_errors_in_included_file_name_that_file);
	tcase_add_test(cli, test_cli_an_unsupported_construct_writes_none_of_the_outputs);
	tcase_add_test(cli, test_cli_writes_all_four_outputs);
	tcase_add_test(cli, test_cli_help_exits_0_and_usage_errors_exit_2);
	tcase_add_test(cli, test_cli_missing_input_or_failing_cpp_exits_1);
	tcase_add_test(cli, test_cli_cpp_environment_variable_overrides_the_command);
	if (find_corpus_tools()) {
		tcase_add_loop_test(corpus, test_corpus_list_ids_match_gnu_mig, 0,
				    NSUB * 4);
		tcase_add_loop_test(corpus, test_corpus_type_only_file_fails_cleanly,
				    0, 6);
	} else {
		tcase_add_test(corpus, test_corpus_is_skipped_without_gnumach_dev_or_mig);
	}
	suite_add_tcase(s, cli);
	suite_add_tcase(s, corpus);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(umig_corpus_suite());
	int failed;

	setenv("UMIG", UMIG_PATH, 0);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
