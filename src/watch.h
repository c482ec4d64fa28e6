/* watch: `tfdrift watch`, the headless live mode (see watch.c). */
#ifndef TFDRIFT_WATCH_H
#define TFDRIFT_WATCH_H

/* argv[0] is "watch"; config is the global -c FILE or NULL. Returns the exit status. */
int watch_main(int argc, char **argv, const char *config);

#endif
