/* Client mode of the launcher: speaks to the resident runtime (docs/daemon-protocol.md). */
#ifndef CORDON_CLIENT_H
#define CORDON_CLIENT_H

/* cordon-launcher --client [--ping] [--] ARGS...: argv[0] is "--client". Never returns for a run. */
int client_main(int argc, char **argv);

/* The launcher runs over a daemon connection (fd 3 and 4): when it exits, read the daemon's last
 * frames (what the command still prints, its exit code) and exit with that code instead. */
void client_tail_at_exit(void);

#endif
