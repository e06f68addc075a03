/*
 * test_meshgatectl.c — the meshgatectl binary (MESHGATECTL) run as a user
 * would: `validate` on the good and bad testdata directories
 * (MG_CTRL_TESTDATA) with its exact output lines and exit status, usage
 * errors (status 2), --help and --version.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#include <check.h>

/* Run "meshgatectl ARGS" (stderr to /dev/null); return its exit status, output in *out. */
static int run(const char *args, char **out)
{
	const char *bin = getenv("MESHGATECTL");
	size_t cap = 1 << 16, n;
	char *cmd;
	FILE *p;
	int st;

	ck_assert_msg(bin != NULL, "MESHGATECTL not set (run through meson test)");
	ck_assert_int_ge(asprintf(&cmd, "'%s' %s 2>/dev/null", bin, args), 0);
	p = popen(cmd, "r");
	ck_assert_ptr_nonnull(p);
	*out = calloc(1, cap);
	ck_assert_ptr_nonnull(*out);
	n = fread(*out, 1, cap - 1, p);
	(*out)[n] = '\0';
	st = pclose(p);
	free(cmd);
	ck_assert(WIFEXITED(st));
	return WEXITSTATUS(st);
}

static char *dir_arg(const char *sub)
{
	const char *root = getenv("MG_CTRL_TESTDATA");
	char *p;

	ck_assert_msg(root != NULL, "MG_CTRL_TESTDATA not set (run through meson test)");
	ck_assert_int_ge(asprintf(&p, "%s/%s", root, sub), 0);
	return p;
}

START_TEST(validate_good)
{
	char *dir = dir_arg("good"), *args, *out, *want;

	ck_assert_int_ge(asprintf(&args, "validate '%s'", dir), 0);
	ck_assert_int_eq(run(args, &out), 0);
	ck_assert_int_ge(
	    asprintf(&want, "%s: valid: 9 resources in 4 files, 0 errors, 0 warnings\n", dir), 0);
	ck_assert_str_eq(out, want);
	free(want);
	free(out);
	free(args);
	free(dir);
}
END_TEST

START_TEST(validate_bad)
{
	static const char *const lines[] = {
	    "10-routes.yaml:10:5: error: spec.gateways[1]: Gateway default/missing-gw not found",
	    "10-routes.yaml:13:7: error: spec.http[0].route: weights sum to 90, must be 100",
	    "10-routes.yaml:15:17: error: spec.http[0].route[0].destination.subset: subset v1 "
	    "of host web.example.com: no DestinationRule for that host",
	    "10-routes.yaml:21:5: error: field spec.http[0].corsPolicy is not supported by "
	    "meshgate yet",
	    "10-routes.yaml:24:5: error: unknown field \"timout\" in spec.http[0] (HTTPRoute)",
	    "10-routes.yaml:14:15: warning: spec.http[0].route[0].destination.host: no "
	    "ServiceEntry defines host web.example.com",
	};
	char *dir = dir_arg("bad"), *args, *out, *want;
	size_t i;

	ck_assert_int_ge(asprintf(&args, "validate '%s'", dir), 0);
	ck_assert_int_eq(run(args, &out), 1);
	for (i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		ck_assert_int_ge(asprintf(&want, "%s/%s", dir, lines[i]), 0);
		ck_assert_msg(strstr(out, want) != NULL, "missing \"%s\" in:\n%s", want, out);
		free(want);
	}
	ck_assert_int_ge(asprintf(&want, "\n%s: invalid: 6 errors, 2 warnings\n", dir), 0);
	ck_assert_msg(strstr(out, want) != NULL && strlen(strstr(out, want)) == strlen(want),
	              "summary is not the last line:\n%s", out);
	free(want);
	free(out);
	free(args);
	free(dir);
}
END_TEST

static const struct {
	const char *args;
	int status;
	const char *out; /* a part of stdout */
} usage_cases[] = {
    {"", 2, ""},
    {"frobnicate", 2, ""},
    {"validate", 2, ""},
    {"validate a b", 2, ""},
    {"--help", 0, "validate DIR"},
    {"-h", 0, "exit status: 0 valid (warnings allowed), 1 invalid, 2 usage error"},
    {"--version", 0, "meshgatectl " MG_VERSION "\n"},
    {"validate /nonexistent/meshgate", 1,
     "/nonexistent/meshgate: error: cannot read directory: No such file or directory\n"},
};

START_TEST(usage)
{
	char *out;

	ck_assert_int_eq(run(usage_cases[_i].args, &out), usage_cases[_i].status);
	ck_assert_msg(strstr(out, usage_cases[_i].out) != NULL, "\"%s\": got \"%s\"",
	              usage_cases[_i].args, out);
	if (usage_cases[_i].status == 2)
		ck_assert_str_eq(out, ""); /* usage errors go to stderr */
	free(out);
}
END_TEST

static Suite *suite(void)
{
	Suite *s = suite_create("meshgatectl");
	TCase *tc = tcase_create("cli");

	tcase_add_test(tc, validate_good);
	tcase_add_test(tc, validate_bad);
	tcase_add_loop_test(tc, usage, 0, (int)(sizeof(usage_cases) / sizeof(usage_cases[0])));
	suite_add_tcase(s, tc);
	return s;
}

int main(void)
{
	SRunner *sr = srunner_create(suite());
	int failed;

	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? 1 : 0;
}
