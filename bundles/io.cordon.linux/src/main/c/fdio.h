/* Whole-buffer descriptor writes, for the launcher and its client mode alike. */
#ifndef CORDON_FDIO_H
#define CORDON_FDIO_H

#include <stddef.h>

/* Write all of buf, retrying on EINTR: 0, or -1 on error (errno set) or a write of 0 bytes. */
int write_all(int fd, const void *buf, size_t len);

#endif
