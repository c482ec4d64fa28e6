/* tfrc_probe: what tfdrift reads from a Terraform CLI configuration file (HCL), for
 * tests/scan/tfrc_hcl.py to compare with python3-pyhcl. For each HOST argument one line:
 *   HOST sha256:<first 16 hex digits of the token's SHA-256>     a token was found
 *   HOST none                                                   no token for HOST
 * or, when the file is bad, one line "error: FILE:LINE:COL: message" and exit 1. The token
 * itself is never printed. Exit 2 on a bad command line or an unreadable file. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "backends/tfrc.h"
#include "util.h"

int
main(int argc, char **argv)
{
	char *buf = NULL, *err = NULL, *tok, hex[65];
	size_t n;
	int i, rc;

	if (argc < 3) {
		fprintf(stderr, "usage: tfrc_probe FILE HOST...\n");
		return 2;
	}
	if (tf_read_file(argv[1], TF_FILE_CREDENTIALS, &buf, &n, &err) != 0) {
		fprintf(stderr, "tfrc_probe: %s\n", err);
		free(err);
		return 2;
	}
	for (i = 2; i < argc; i++) {
		tok = NULL;
		rc = tfrc_token(argv[1], buf, n, argv[i], &tok, &err);
		if (rc < 0) {
			printf("error: %s\n", err);
			free(err);
			free(buf);
			return 1;
		}
		if (rc == 0) {
			tf_sha256_hex(tok, strlen(tok), hex, 16);
			printf("%s sha256:%s\n", argv[i], hex);
			memset(tok, 0, strlen(tok));
			free(tok);
		} else
			printf("%s none\n", argv[i]);
	}
	free(buf);
	return 0;
}
