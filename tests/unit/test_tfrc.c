/* tfrc: the HCL reader for Terraform CLI configuration credentials blocks, the parts the
 * pyhcl comparison (tests/scan/tfrc_hcl.py) cannot reach: escapes Terraform decodes and pyhcl
 * does not, heredocs, interpolations, error positions, nesting limits. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "backends/tfrc.h"
#include "tap.h"
#include "util.h"

#define H "app.terraform.io"

/* The token for host in text, or "<none>", or the error. */
static char *
get(const char *text, const char *host)
{
	char *tok = NULL, *err = NULL;
	int rc = tfrc_token("cli.tfrc", text, strlen(text), host, &tok, &err);

	if (rc == 0)
		return tok;
	if (rc == 1)
		return xstrdup("<none>");
	return err;
}

static void
check(const char *text, const char *host, const char *want, const char *name)
{
	char *got = get(text, host);

	is_str(got, want, "%s", name);
	free(got);
}

int
main(void)
{
	char deep[2048];
	size_t i;

	check("credentials \"" H "\" { token = \"a\\u00e9\\U0001F600\\x41\\101\\t\" }", H,
	    "a\xc3\xa9\xf0\x9f\x98\x80" "AA\t", "escapes: \\u, \\U, \\x, octal, \\t decoded");
	check("credentials \"" H "\" {\n  token = \"a\\qb\"\n}\n", H,
	    "cli.tfrc:2:13: unknown escape \\q in a string", "an unknown escape is an error at it");
	check("credentials \"" H "\" { token = \"${lookup(map(\"k\", \"#\"), \"k\")}x\" }", H,
	    "${lookup(map(\"k\", \"#\"), \"k\")}x", "quotes nest inside ${...}");
	check("host \"x\" {\n  note = <<EOT\ncredentials \"" H "\" { token = \"in-heredoc\" }\n"
	    "EOT\n}\ncredentials \"" H "\" {\n  token = \"after\"\n}\n", H, "after",
	    "a heredoc's text is not read as blocks");
	check("credentials \"" H "\" {\n  token = <<-EOT\n    heredoc-token\n    EOT\n}\n", H,
	    "    heredoc-token\n", "a token in an indented heredoc");
	check("x = <<EOT\nno end\n", H, "cli.tfrc:1:5: this heredoc has no closing line",
	    "an unclosed heredoc is an error at its start");
	check("credentials \"APP.Terraform.IO\" { token = \"t1\" }", H, "t1",
	    "hosts compare case-insensitively");
	check("credentials app.terraform.io { token = \"t2\" }", H, "t2", "a bare label");
	check("credentials \"" H "\" \"extra\" { token = \"t3\" }", H, "<none>",
	    "two labels are not the credentials block");
	check("x { credentials \"" H "\" { token = \"t4\" } }", H, "<none>",
	    "only a top-level credentials block counts");
	check("credentials \"" H "\" { token = \"\" }", H, "<none>", "an empty token is no token");
	check("credentials \"other\" { token = [1, 2] }\ncredentials \"" H "\" { token = \"t5\" }",
	    H, "t5", "another host's odd token is not checked");
	check("\xef\xbb\xbf" "credentials \"" H "\" { token = \"t6\" }", H, "t6", "a byte order mark");
	check("a = 1.5e-3\nb = -2\nc = 0x1F\nd = [true, false, {e = \"f\"},]\n"
	    "credentials \"" H "\" { token = \"t7\" }", H, "t7", "numbers, bools, lists, objects");
	check("# x\nx = \"größer ✓\" 'y'", H, "cli.tfrc:2:16: unexpected character '''",
	    "columns count characters, not bytes");
	check("credentials \"" H "\" \"b\" = \"c\"", H,
	    "cli.tfrc:1:36: '=' after more than one name (a block needs '{')", "two names before '='");
	check("credentials \"" H "\" {\n  token = \"a\"\n  token = \"b\"\n}", H,
	    "cli.tfrc:3:3: credentials \"" H "\": token is set twice in one block",
	    "a token set twice, at the second");
	check("credentials \"" H "\" { token = { x = 1 } }", H,
	    "cli.tfrc:1:42: credentials \"" H "\": token must be a string", "an object token");
	check("credentials \"" H "\" { token = \"t\" }\nx = ", H,
	    "cli.tfrc:2:5: expected a value, found the end of the file", "a missing value");
	check("x = \"a\\", H, "cli.tfrc:1:7: a string ends in the middle of an escape",
	    "a string that ends in a backslash");
	memset(deep, 0, sizeof deep);
	for (i = 0; i < 500; i++)
		memcpy(deep + 2 * i, "a{", 2);
	check(deep, H, "cli.tfrc:1:131: nested too deeply", "deep nesting is an error, not a crash");
	memset(deep, 0, sizeof deep);
	for (i = 0; i < 1000; i++)
		deep[i] = '[';
	memcpy(deep, "x=", 2);
	check(deep, H, "cli.tfrc:1:67: nested too deeply", "deep lists too");
	return done_testing();
}
