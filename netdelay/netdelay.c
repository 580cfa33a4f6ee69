/* netdelay: a TCP proxy that adds a fixed one-way delay to every byte, in both directions.
 *
 *   netdelay --delay-us N LISTEN_PORT=TARGET_HOST:TARGET_PORT [...]
 *
 * Each mapping listens on 127.0.0.1:LISTEN_PORT and forwards to TARGET. A connection gets
 * one reader and one writer thread per direction: the reader stamps each chunk with the
 * time it arrived plus the delay, the writer sleeps until that moment (clock_nanosleep on
 * CLOCK_MONOTONIC, microsecond-exact, unlike an event loop's millisecond timers) and sends
 * it. So a round trip through it costs twice the delay, whatever the chunk sizes, and the
 * bytes arrive unchanged and in order. "ready" on stdout once every port listens.
 * SIGUSR1 and SIGUSR2 silence or cut every open connection, for the fault cells (faults.h).
 * Built by the harness with the machine's C compiler (bench/run/processes/netdelay.py).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "faults.h"

#define CHUNK 65536
#define MAX_QUEUED (8 * 1024 * 1024) /* bytes in flight per direction before the reader waits */

static long delay_ns;

struct chunk {
    struct chunk *next;
    struct timespec due;
    size_t len; /* 0: end of stream */
    char data[];
};

struct pipe { /* one direction of one connection */
    int from, to;
    pthread_mutex_t lock;
    pthread_cond_t ready, room;
    struct chunk *head, *tail;
    size_t queued;
    struct link *link;
};

struct link { /* one proxied connection: two pipes, freed when all four threads are done */
    struct pipe up, down;
    pthread_mutex_t lock;
    int threads_left;
    struct tracked tracked; /* for the faults */
};

struct mapping {
    int listener;
    char port[16];
    struct addrinfo *target;
};

static void fail(const char *what) {
    perror(what);
    exit(2);
}

static void add_ns(struct timespec *t, long ns) {
    t->tv_nsec += ns;
    while (t->tv_nsec >= 1000000000L) {
        t->tv_nsec -= 1000000000L;
        t->tv_sec += 1;
    }
}

static void thread_done(struct link *link) {
    pthread_mutex_lock(&link->lock);
    int left = --link->threads_left;
    pthread_mutex_unlock(&link->lock);
    if (left == 0) {
        untrack(&link->tracked);
        close(link->up.from);
        close(link->up.to);
        free(link);
    }
}

static void push(struct pipe *p, struct chunk *c) {
    pthread_mutex_lock(&p->lock);
    while (p->queued > MAX_QUEUED)
        pthread_cond_wait(&p->room, &p->lock);
    c->next = NULL;
    if (p->tail)
        p->tail->next = c;
    else
        p->head = c;
    p->tail = c;
    p->queued += c->len;
    pthread_cond_signal(&p->ready);
    pthread_mutex_unlock(&p->lock);
}

static void *reader(void *arg) {
    struct pipe *p = arg;
    for (;;) {
        struct chunk *c = malloc(sizeof(struct chunk) + CHUNK);
        if (!c)
            fail("malloc");
        ssize_t n = read(p->from, c->data, CHUNK);
        clock_gettime(CLOCK_MONOTONIC, &c->due);
        add_ns(&c->due, delay_ns);
        c->len = n > 0 ? (size_t)n : 0;
        push(p, c);
        if (n <= 0)
            break;
    }
    thread_done(p->link);
    return NULL;
}

static void *writer(void *arg) {
    struct pipe *p = arg;
    int open = 1;
    for (;;) {
        pthread_mutex_lock(&p->lock);
        while (!p->head)
            pthread_cond_wait(&p->ready, &p->lock);
        struct chunk *c = p->head;
        p->head = c->next;
        if (!p->head)
            p->tail = NULL;
        p->queued -= c->len;
        pthread_cond_signal(&p->room);
        pthread_mutex_unlock(&p->lock);
        while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &c->due, NULL) == EINTR)
            ;
        if (silenced(&p->link->tracked))
            for (;;) /* silent for good: never write, never close; the reader fills up */
                sleep(3600);
        size_t len = c->len, sent = 0;
        while (open && sent < len) {
            ssize_t n = write(p->to, c->data + sent, len - sent);
            if (n <= 0) {
                open = 0; /* the other side is gone: drain the rest unsent */
                shutdown(p->from, SHUT_RD);
            } else {
                sent += (size_t)n;
            }
        }
        free(c);
        if (len == 0) {
            shutdown(p->to, SHUT_WR);
            break;
        }
    }
    thread_done(p->link);
    return NULL;
}

static void start(pthread_t *t, void *(*fn)(void *), void *arg) {
    pthread_attr_t attr;
    pthread_attr_init(&attr);
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    if (pthread_create(t, &attr, fn, arg) != 0)
        fail("pthread_create");
    pthread_attr_destroy(&attr);
}

static void init_pipe(struct pipe *p, int from, int to, struct link *link) {
    memset(p, 0, sizeof(*p));
    p->from = from;
    p->to = to;
    p->link = link;
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->ready, NULL);
    pthread_cond_init(&p->room, NULL);
}

static void *acceptor(void *arg) {
    struct mapping *m = arg;
    int one = 1;
    for (;;) {
        int client = accept(m->listener, NULL, NULL);
        if (client < 0)
            continue;
        int server = socket(m->target->ai_family, SOCK_STREAM, 0);
        if (server < 0 || connect(server, m->target->ai_addr, m->target->ai_addrlen) < 0) {
            close(client); /* the target refused: so does the proxy */
            if (server >= 0)
                close(server);
            continue;
        }
        setsockopt(client, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        setsockopt(server, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        struct link *link = calloc(1, sizeof(struct link));
        if (!link)
            fail("calloc");
        pthread_mutex_init(&link->lock, NULL);
        link->threads_left = 4;
        init_pipe(&link->up, client, server, link);
        init_pipe(&link->down, server, client, link);
        track(&link->tracked, client, server, m->port);
        pthread_t t;
        start(&t, reader, &link->up);
        start(&t, writer, &link->up);
        start(&t, reader, &link->down);
        start(&t, writer, &link->down);
    }
    return NULL;
}

static struct mapping *listen_on(const char *spec) {
    char port[16], host[256], tport[16];
    if (sscanf(spec, "%15[0-9]=%255[^:]:%15[0-9]", port, host, tport) != 3) {
        fprintf(stderr, "netdelay: bad mapping %s (want LISTEN_PORT=HOST:PORT)\n", spec);
        exit(2);
    }
    struct mapping *m = calloc(1, sizeof(struct mapping));
    if (m)
        memcpy(m->port, port, sizeof(m->port));
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM};
    if (!m || getaddrinfo(host, tport, &hints, &m->target) != 0) {
        fprintf(stderr, "netdelay: cannot resolve %s\n", host);
        exit(2);
    }
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons(atoi(port))};
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    int one = 1;
    m->listener = socket(AF_INET, SOCK_STREAM, 0);
    setsockopt(m->listener, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(m->listener, (struct sockaddr *)&addr, sizeof(addr)) < 0) {
        fprintf(stderr, "netdelay: cannot listen on 127.0.0.1:%s: %s\n", port, strerror(errno));
        exit(2);
    }
    if (listen(m->listener, 512) < 0)
        fail("listen");
    return m;
}

int main(int argc, char **argv) {
    if (argc < 4 || strcmp(argv[1], "--delay-us") != 0) {
        fprintf(stderr, "usage: netdelay --delay-us N LISTEN_PORT=HOST:PORT [...]\n");
        return 2;
    }
    char *end;
    long us = strtol(argv[2], &end, 10);
    if (*end || us < 0 || us > 1000000) {
        fprintf(stderr, "netdelay: --delay-us must be 0..1000000, not %s\n", argv[2]);
        return 2;
    }
    delay_ns = us * 1000L;
    signal(SIGPIPE, SIG_IGN);
    sigset_t faults = block_faults(); /* before any thread: they all inherit it */
    prctl(PR_SET_TIMERSLACK, 1UL); /* wake on time, not up to 50 us late; threads inherit it */
    pthread_t t;
    for (int i = 3; i < argc; i++)
        start(&t, acceptor, listen_on(argv[i]));
    printf("ready\n");
    fflush(stdout);
    for (;;)
        strike_on_signal(&faults);
}
