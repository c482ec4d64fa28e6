/* tfrc: the API token for a host from Terraform's CLI configuration in its HCL form
 * (~/.terraformrc, TF_CLI_CONFIG_FILE):
 *
 *   credentials "app.terraform.io" {
 *     token = "xxxxxx.atlasv1.zzzzzzzzzzzzz"
 *   }
 *
 * The whole file is tokenized and parsed as HCL 1 (what Terraform reads it with), so
 * comments (#, // and slash-star blocks), commented-out blocks, quoted strings holding #, // or
 * escaped quotes, other blocks (provider_installation, host, credentials_helper), lists,
 * objects and heredocs are all understood, and a malformed file is an error with its
 * position rather than a wrong token. */
#ifndef TFDRIFT_TFRC_H
#define TFDRIFT_TFRC_H

#include <stddef.h>

/* The token of the `credentials "HOST"` block (HOST compared case-insensitively; when the
 * host has several blocks the last one wins, as in Terraform) from the HCL text (len bytes,
 * need not end in NUL) of the file at path (used in messages only). Returns 0 and sets *tok
 * (heap, the caller wipes and frees it), 1 when the file has no non-empty token for host, -1
 * with *err set to "PATH:LINE:COL: message" (1-based; columns count characters) when the file
 * is not valid HCL or the host's token is not one string. Messages never hold a token. */
int tfrc_token(const char *path, const char *text, size_t len, const char *host, char **tok,
    char **err);

#endif
