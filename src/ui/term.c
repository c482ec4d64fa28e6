/* term: what the dashboard asks of the terminal beyond curses: copying to the clipboard with
 * OSC 52 (it works over SSH and inside tmux with `set-clipboard on`), handing the screen to
 * $PAGER and back, and suspending to the shell (Ctrl-Z). Main thread only. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include <curses.h>
#include <openssl/evp.h>

#include "text.h"
#include "ui_int.h"

#define COPY_MAX (1u << 20)     /* terminals cap OSC 52; past this we refuse, not cut */

static int
out_fd(const struct ui *u)
{
	return u->tty != NULL ? fileno(u->tty) : STDOUT_FILENO;
}

static int
write_all(int fd, const char *s, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, s, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

int
ui_copy(struct ui *u, const char *text, const char *what)
{
	size_t n = strlen(text), elen = 4 * ((n + 2) / 3) + 1;
	unsigned char *b64;
	char *seq;
	int rc;

	if (n > COPY_MAX) {
		ui_msg(u, 1, "not copied: %s is %zu bytes, more than a terminal takes (| opens it in "
		    "the pager)", what, n);
		return -1;
	}
	b64 = xmalloc(elen);
	EVP_EncodeBlock(b64, (const unsigned char *)text, (int)n);
	/* OSC 52 ; c (the clipboard) ; base64 BEL */
	seq = xasprintf("\033]52;c;%s\007", (const char *)b64);
	rc = write_all(out_fd(u), seq, strlen(seq));
	free(seq);
	free(b64);
	if (rc != 0) {
		ui_msg(u, 1, "not copied: cannot write to the terminal: %s", strerror(errno));
		return -1;
	}
	ui_msg(u, 0, "copied %s (%zu bytes) to the clipboard", what, n);
	return 0;
}

/* Run sh -c 'PAGER "$1"' with the file on the terminal; curses is ended around it. */
int
ui_pager(struct ui *u, const char *text)
{
	const char *pager = getenv("PAGER");
	char path[] = "/tmp/tfdrift-page.XXXXXX";
	struct sigaction ign, oint, oquit, otstp;
	int fd, status = 0, rc = 0;
	struct strbuf shown;
	pid_t pid;

	if (pager == NULL || *pager == '\0')
		pager = "less -R";
	if ((fd = mkstemp(path)) < 0) {
		ui_msg(u, 1, "no pager: cannot make a temporary file: %s", strerror(errno));
		return -1;
	}
	/* The pager is `less -R` by default, which passes escape sequences through: the text
	 * (logged strings among it) goes with every control but the newline shown (\x1b). */
	sb_init(&shown);
	text_escape(&shown, text, strlen(text), TEXT_KEEP_NL);
	if (write_all(fd, shown.buf != NULL ? shown.buf : "", shown.len) != 0) {
		ui_msg(u, 1, "no pager: cannot write %s: %s", path, strerror(errno));
		sb_free(&shown);
		close(fd);
		unlink(path);
		return -1;
	}
	sb_free(&shown);
	close(fd);
	def_prog_mode();
	endwin();
	/* As system() does: ^C in the pager is the pager's, not ours. */
	memset(&ign, 0, sizeof ign);
	ign.sa_handler = SIG_IGN;
	sigemptyset(&ign.sa_mask);
	sigaction(SIGINT, &ign, &oint);
	sigaction(SIGQUIT, &ign, &oquit);
	sigaction(SIGTSTP, &ign, &otstp);
	if ((pid = fork()) == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		signal(SIGTSTP, SIG_DFL);
		if (u->tty != NULL) {
			dup2(fileno(u->tty), STDIN_FILENO);
			dup2(fileno(u->tty), STDOUT_FILENO);
		}
		/* The shell splits $PAGER into words, as git and man do. */
		setenv("TFDRIFT_PAGER", pager, 1);
		execl("/bin/sh", "sh", "-c", "exec $TFDRIFT_PAGER \"$1\"", "sh", path, (char *)NULL);
		_exit(127);
	}
	if (pid < 0)
		rc = -1;
	else
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	sigaction(SIGINT, &oint, NULL);
	sigaction(SIGQUIT, &oquit, NULL);
	sigaction(SIGTSTP, &otstp, NULL);
	unlink(path);
	reset_prog_mode();
	clearok(curscr, TRUE);
	refresh();
	u->dirty = 1;
	if (rc != 0)
		ui_msg(u, 1, "no pager: cannot start %s: %s", pager, strerror(errno));
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		ui_msg(u, 1, "no pager: '%s' was not found (set $PAGER)", pager);
	return rc;
}

void
ui_suspend(struct ui *u)
{
	struct sigaction dfl, old;

	def_prog_mode();
	endwin();
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	sigemptyset(&dfl.sa_mask);
	sigaction(SIGTSTP, &dfl, &old);
	raise(SIGTSTP);                 /* stops here; SIGCONT (fg) goes on */
	sigaction(SIGTSTP, &old, NULL);
	reset_prog_mode();
	clearok(curscr, TRUE);
	refresh();
	u->dirty = 1;
}
