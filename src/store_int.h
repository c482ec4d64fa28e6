/* store_int: the helpers of store.c that the store's other files (store_lease.c) share: the
 * same statements, messages and write transactions as store.c's own functions, on either
 * back end (store_db.h). Not for use outside the store. */
#ifndef TFDRIFT_STORE_INT_H
#define TFDRIFT_STORE_INT_H

#include "store.h"
#include "store_db.h"

/* Prepare sql (-1 with the store's message for `doing`). */
int store_i_prep(struct store *st, const char *sql, struct store_stmt **stmt, const char *doing,
    char **err);
/* The message for a failure rc while doing `doing`; -1. */
int store_i_fail(struct store *st, int rc, const char *doing, int writing, char **err);
/* Begin a write transaction (the back end's: SQLite waits for another writer up to the busy
 * timeout); commit (durable); fail a write (message, roll back, -1); roll back. */
int store_i_begin_write(struct store *st, const char *doing, char **err);
int store_i_commit(struct store *st, const char *doing, char **err);
int store_i_abort_write(struct store *st, int rc, const char *doing, char **err);
void store_i_rollback(struct store *st);
/* Bind a string (NULL binds NULL; copied); a column as a heap string (NULL for NULL). */
void store_i_bind_text(struct store_stmt *s, int i, const char *v);
char *store_i_col_text(struct store_stmt *s, int i);

/* A write whose connection was lost before it committed (the server rolled it back: nothing
 * of it was saved): 1, the message in *err dropped, to run it once more (the back end
 * reconnects at its next transaction); not when the commit itself was cut off (it may have
 * been saved). WRITE_RETRYING_ONCE returns the result of `call`, a write whose failure is
 * below 0, run once more so. */
int store_i_retry_lost(struct store *st, char **err);
#define WRITE_RETRYING_ONCE(st, err, call) do { \
		int rc_; \
		(st)->lost = 0; \
		if ((rc_ = (call)) < 0 && store_i_retry_lost((st), (err))) \
			rc_ = (call); \
		return rc_; \
	} while (0)

#endif
