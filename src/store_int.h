/* store_int: the helpers of store.c that the store's other files (store_lease.c) share: the
 * same statements, messages and write transactions as store.c's own functions. Not for use
 * outside the store. */
#ifndef TFDRIFT_STORE_INT_H
#define TFDRIFT_STORE_INT_H

#include <sqlite3.h>

#include "store.h"

/* Prepare sql (-1 with the store's message for `doing`). */
int store_i_prep(struct store *st, const char *sql, sqlite3_stmt **stmt, const char *doing,
    char **err);
/* The message for an SQLite failure rc while doing `doing`; -1. */
int store_i_fail(struct store *st, int rc, const char *doing, int writing, char **err);
/* BEGIN IMMEDIATE (waiting for another writer up to the busy timeout); COMMIT (synced);
 * fail a write (message, roll back, -1); roll back whatever is open. */
int store_i_begin_write(struct store *st, const char *doing, char **err);
int store_i_commit(struct store *st, const char *doing, char **err);
int store_i_abort_write(struct store *st, int rc, const char *doing, char **err);
void store_i_rollback(struct store *st);
/* Bind a string (NULL binds NULL); a column as a heap string (NULL for NULL). */
void store_i_bind_text(sqlite3_stmt *s, int i, const char *v);
char *store_i_col_text(sqlite3_stmt *s, int i);

#endif
