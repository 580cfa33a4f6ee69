/* netdelay's faults, for the harness's fault cells, on a signal to the proxy:
 *   SIGUSR1  every open connection goes silent for good: nothing more is forwarded either
 *            way and nothing is closed (no FIN, no RST), as when the flow behind a balancer
 *            vanishes (the proxy's own TCP still acknowledges until its buffers fill, so
 *            keepalive sees nothing). New connections work. Prints "silenced N at T".
 *   SIGUSR2  every open connection is cut (both sockets shut down). Prints "cut N at T".
 * After either, each new connection prints "accepted PORT at T" (T: epoch seconds), so the
 * harness sees when each group of clients noticed and came back. Included by netdelay.c.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <sys/socket.h>
#include <time.h>

struct tracked { /* one open connection, as the faults see it */
    struct tracked *prev, *next;
    int client, server;
    int silenced; /* set once by a SIGUSR1, read by the writers (atomics) */
};

static pthread_mutex_t tracked_lock = PTHREAD_MUTEX_INITIALIZER;
static struct tracked open_links = {&open_links, &open_links, -1, -1, 0}; /* a ring */
static int faulted; /* a fault has struck: say when each new connection comes (locked) */

static double now_epoch(void) {
    struct timespec t;
    clock_gettime(CLOCK_REALTIME, &t);
    return (double)t.tv_sec + t.tv_nsec / 1e9;
}

static void track(struct tracked *t, int client, int server, const char *port) {
    t->client = client;
    t->server = server;
    pthread_mutex_lock(&tracked_lock); /* a strike sees it, or it comes after the strike */
    t->next = open_links.next;
    t->prev = &open_links;
    open_links.next->prev = t;
    open_links.next = t;
    double at = faulted ? now_epoch() : 0;
    pthread_mutex_unlock(&tracked_lock);
    if (at) {
        printf("accepted %s at %.6f\n", port, at);
        fflush(stdout);
    }
}

static void untrack(struct tracked *t) { /* before its sockets close */
    pthread_mutex_lock(&tracked_lock);
    t->prev->next = t->next;
    t->next->prev = t->prev;
    pthread_mutex_unlock(&tracked_lock);
}

static int silenced(struct tracked *t) {
    return __atomic_load_n(&t->silenced, __ATOMIC_ACQUIRE);
}

static sigset_t block_faults(void) {
    sigset_t faults;
    sigemptyset(&faults);
    sigaddset(&faults, SIGUSR1);
    sigaddset(&faults, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &faults, NULL);
    return faults;
}

/* Wait for a fault's signal, strike every open connection not silent already, say so. */
static void strike_on_signal(const sigset_t *faults) {
    int sig, n = 0;
    if (sigwait(faults, &sig) != 0)
        return;
    pthread_mutex_lock(&tracked_lock);
    for (struct tracked *t = open_links.next; t != &open_links; t = t->next) {
        if (silenced(t))
            continue; /* silent for good: untouched */
        if (sig == SIGUSR1) {
            __atomic_store_n(&t->silenced, 1, __ATOMIC_RELEASE);
        } else {
            shutdown(t->client, SHUT_RDWR);
            shutdown(t->server, SHUT_RDWR);
        }
        n++;
    }
    faulted = 1;
    double at = now_epoch(); /* before any connection it did not strike */
    pthread_mutex_unlock(&tracked_lock);
    printf("%s %d at %.6f\n", sig == SIGUSR1 ? "silenced" : "cut", n, at);
    fflush(stdout);
}
