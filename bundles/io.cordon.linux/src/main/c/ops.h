/* Op execution in the container child. */
#ifndef CORDON_OPS_H
#define CORDON_OPS_H

#include "plan.h"

/* Run op i. Returns 0, or an errno value with a one-line message in msg.
 * EXEC only returns on failure. cap_last is the host's cap_last_cap. */
int run_op(struct plan *p, uint32_t i, int cap_last, char *msg, size_t len);

#endif
