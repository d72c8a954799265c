/*
 * rt_signal.h — stop requests from SIGINT/SIGTERM (and SIGHUP), as a flag that
 * loops poll. SIGPIPE is ignored so a closed socket is an error return, not a death.
 */
#ifndef RT_SIGNAL_H
#define RT_SIGNAL_H

/* Install the handlers. Returns 0 or -errno. */
int rt_signal_install(void);
/* The last stop signal received, or 0. Async-signal-safe flag read. */
int rt_signal_stop_requested(void);
/* Forget a received stop request (tests). */
void rt_signal_reset(void);

#endif
