/* The on-disk accounting spool (see acct_spool.h). */
#include "aaa/acct_spool.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "aaa/radius_codec.h"
#include "ev/ev.h"
#include "util/log.h"

#define SPOOL_FILE "acct.spool"
#define SPOOL_NEW "acct.spool.new"
#define SPOOL_LOCK "acct.spool.lock"
#define COMPACT_MIN (1u << 20)

struct acct_spool {
	struct ev_loop *loop;
	struct acct_spool_config cfg;
	int dirfd, fd, lockfd;
	uint64_t size;
	uint64_t compact_at;
	uint64_t next_seq;
	bool dirty;
	struct ev_timer sync_timer;
	struct ev_timer compact_timer;
	struct acct_spool_counters ctr;
};

const char *acct_spool_fsync_str(enum acct_spool_fsync f)
{
	switch (f) {
	case ACCT_SPOOL_FSYNC_STARTSTOP: return "startstop";
	case ACCT_SPOOL_FSYNC_ALWAYS: return "always";
	case ACCT_SPOOL_FSYNC_INTERVAL: return "interval";
	case ACCT_SPOOL_FSYNC_NONE: return "none";
	}
	return "?";
}

int acct_spool_fsync_parse(const char *s, enum acct_spool_fsync *out)
{
	static const enum acct_spool_fsync all[] = { ACCT_SPOOL_FSYNC_STARTSTOP, ACCT_SPOOL_FSYNC_ALWAYS,
						     ACCT_SPOOL_FSYNC_INTERVAL, ACCT_SPOOL_FSYNC_NONE };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (strcmp(s, acct_spool_fsync_str(all[i])) == 0) {
			*out = all[i];
			return 0;
		}
	return -1;
}

uint64_t acct_spool_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static uint64_t mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

static int write_all(int fd, const uint8_t *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static void spool_sync(struct acct_spool *s)
{
	uint64_t t0 = mono_us();
	if (fdatasync(s->fd) < 0) {
		s->ctr.errors++;
		log_error("acct-spool event=fdatasync-failed errno=%d", errno);
		return;
	}
	uint64_t us = mono_us() - t0;
	if (us > s->ctr.sync_us_max)
		s->ctr.sync_us_max = us;
	s->ctr.syncs++;
	s->dirty = false;
}

static void sync_fire(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	struct acct_spool *s = arg;
	if (s->dirty)
		spool_sync(s);
}

static void mark_dirty(struct acct_spool *s)
{
	s->dirty = true;
	if (s->cfg.fsync != ACCT_SPOOL_FSYNC_NONE && !ev_timer_armed(&s->sync_timer))
		ev_timer_start(s->loop, &s->sync_timer, s->cfg.sync_interval_ms ? s->cfg.sync_interval_ms : 1000);
}

/* ---- reading a spool and planning what survives ---- */

struct ref {
	uint8_t type;
	uint64_t seq, wall_ms;
	const uint8_t *body;
	size_t len;
	uint32_t status;
	const uint8_t *sid;
	size_t sid_len;
};

struct plan {
	struct ref *refs;
	size_t n_refs, cap_refs;
	uint64_t *dones;
	size_t n_dones, cap_dones;
	uint64_t max_seq;
	bool oom;
};

static int plan_add(void *arg, const struct acct_spool_rec *r)
{
	struct plan *p = arg;
	if (r->seq > p->max_seq)
		p->max_seq = r->seq;
	if (r->type == ACCT_SPOOL_DONE) {
		if (p->n_dones == p->cap_dones) {
			size_t nc = p->cap_dones ? p->cap_dones * 2 : 256;
			uint64_t *n = realloc(p->dones, nc * sizeof(*n));
			if (!n) {
				p->oom = true;
				return -1;
			}
			p->dones = n;
			p->cap_dones = nc;
		}
		p->dones[p->n_dones++] = r->seq;
		return 0;
	}
	if (p->n_refs == p->cap_refs) {
		size_t nc = p->cap_refs ? p->cap_refs * 2 : 256;
		struct ref *n = realloc(p->refs, nc * sizeof(*n));
		if (!n) {
			p->oom = true;
			return -1;
		}
		p->refs = n;
		p->cap_refs = nc;
	}
	struct ref *f = &p->refs[p->n_refs++];
	memset(f, 0, sizeof(*f));
	f->type = r->type;
	f->seq = r->seq;
	f->wall_ms = r->wall_ms;
	f->body = r->body;
	f->len = r->body_len;
	f->status = radius_acct_attrs_status(r->body, r->body_len);
	radius_acct_attrs_find(r->body, r->body_len, RADIUS_ATTR_ACCT_SESSION_ID, &f->sid, &f->sid_len);
	return 0;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

static bool is_session_status(uint32_t st)
{
	return st == RADIUS_ACCT_STATUS_START || st == RADIUS_ACCT_STATUS_INTERIM || st == RADIUS_ACCT_STATUS_STOP;
}

/* Orders session records by (Acct-Session-Id, seq). */
static int cmp_sid_seq(const void *a, const void *b)
{
	const struct ref *x = *(const struct ref *const *)a, *y = *(const struct ref *const *)b;
	size_t n = x->sid_len < y->sid_len ? x->sid_len : y->sid_len;
	int c = memcmp(x->sid, y->sid, n);
	if (c)
		return c;
	if (x->sid_len != y->sid_len)
		return x->sid_len < y->sid_len ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int cmp_ref_seq(const void *a, const void *b)
{
	const struct ref *x = *(const struct ref *const *)a, *y = *(const struct ref *const *)b;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static bool ref_pending(const struct plan *p, const struct ref *f)
{
	return f->type == ACCT_SPOOL_REQ &&
	       !bsearch(&f->seq, p->dones, p->n_dones, sizeof(*p->dones), cmp_u64);
}

/* What survives, in seq order: the pending REQs, and the live sessions' last
 * records (flagged in *live). Returns an array of n pointers or NULL. */
static struct ref **plan_survivors(struct plan *p, size_t *n_out, bool **live_out)
{
	qsort(p->dones, p->n_dones, sizeof(*p->dones), cmp_u64);
	struct ref **sess = calloc(p->n_refs + 1, sizeof(*sess));
	struct ref **out = calloc(p->n_refs + 1, sizeof(*out));
	bool *live = calloc(p->n_refs + 1, sizeof(*live));
	size_t n_sess = 0, n = 0;
	if (!sess || !out || !live)
		goto fail;
	for (size_t i = 0; i < p->n_refs; i++)
		if (p->refs[i].sid && is_session_status(p->refs[i].status))
			sess[n_sess++] = &p->refs[i];
	qsort(sess, n_sess, sizeof(*sess), cmp_sid_seq);
	/* mark the last record of each session that did not end with a Stop */
	for (size_t i = 0; i < n_sess; i++) {
		bool last = i + 1 == n_sess || sess[i + 1]->sid_len != sess[i]->sid_len ||
			    memcmp(sess[i]->sid, sess[i + 1]->sid, sess[i]->sid_len) != 0;
		if (last && sess[i]->status != RADIUS_ACCT_STATUS_STOP)
			live[sess[i] - p->refs] = true;
	}
	for (size_t i = 0; i < p->n_refs; i++)
		if (ref_pending(p, &p->refs[i]) || live[i])
			out[n++] = &p->refs[i];
	qsort(out, n, sizeof(*out), cmp_ref_seq);
	free(sess);
	*n_out = n;
	*live_out = live;
	return out;
fail:
	free(sess);
	free(out);
	free(live);
	return NULL;
}

static uint8_t *read_file(int dirfd, const char *name, size_t *len, char *err, size_t errlen, const char *dir)
{
	int fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	struct stat st;
	*len = 0;
	if (fd < 0) {
		if (errno == ENOENT)
			return calloc(1, 1);
		snprintf(err, errlen, "%s/%s: %s", dir, name, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(err, errlen, "%s/%s: %s", dir, name, strerror(errno));
		close(fd);
		return NULL;
	}
	uint8_t *buf = malloc((size_t)st.st_size + 1);
	size_t got = 0;
	while (buf && got < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		got += (size_t)r;
	}
	close(fd);
	if (!buf) {
		snprintf(err, errlen, "%s/%s: out of memory", dir, name);
		return NULL;
	}
	*len = got;
	return buf;
}

/* Writes recs to DIR/acct.spool.new, syncs it, renames it over the spool,
 * syncs DIR, and makes it the append target. Returns 0 or -1. */
static int spool_install(struct acct_spool *s, uint8_t *const *recs, const size_t *lens, size_t n)
{
	int fd = openat(s->dirfd, SPOOL_NEW, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	uint64_t size = 0;
	if (fd < 0)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (write_all(fd, recs[i], lens[i]) < 0)
			goto fail;
		size += lens[i];
	}
	if (fdatasync(fd) < 0 || renameat(s->dirfd, SPOOL_NEW, s->dirfd, SPOOL_FILE) < 0)
		goto fail;
	fsync(s->dirfd);
	close(fd);
	fd = openat(s->dirfd, SPOOL_FILE, O_WRONLY | O_APPEND | O_CLOEXEC);
	if (fd < 0)
		return -1;
	if (s->fd >= 0)
		close(s->fd);
	s->fd = fd;
	s->size = size;
	s->compact_at = size * 2 > COMPACT_MIN ? size * 2 : COMPACT_MIN;
	s->dirty = false;
	return 0;
fail:
	{
		int e = errno;
		close(fd);
		unlinkat(s->dirfd, SPOOL_NEW, 0);
		errno = e;
	}
	return -1;
}

/* Reads the spool and rewrites it with its survivors. At start (fn set)
 * the live sessions become Stops (new REQs), handed to fn with the pending
 * REQs; in a compaction they stay SNAPs. Returns 0 or -1 with err. */
static int spool_rewrite(struct acct_spool *s, uint32_t lost_cause,
			 void (*fn)(void *arg, const struct acct_spool_entry *e), void *arg,
			 struct acct_spool_load_stats *st, char *err, size_t errlen)
{
	struct plan p = { 0 };
	struct acct_spool_scan_stats ss;
	size_t len, n = 0;
	bool *live = NULL;
	struct ref **surv = NULL;
	uint8_t **recs = NULL;
	size_t *lens = NULL;
	int rc = -1;
	uint8_t *buf = read_file(s->dirfd, SPOOL_FILE, &len, err, errlen, s->cfg.dir);
	if (!buf)
		return -1;
	acct_spool_scan(buf, len, plan_add, &p, &ss);
	if (p.oom) {
		snprintf(err, errlen, "%s/%s: out of memory reading it", s->cfg.dir, SPOOL_FILE);
		goto out;
	}
	if (ss.corrupt || ss.truncated)
		log_warn("acct-spool dir=%s event=damaged-records corrupt=%llu truncated=%llu skipped_octets=%llu",
			 s->cfg.dir, (unsigned long long)ss.corrupt, (unsigned long long)ss.truncated,
			 (unsigned long long)ss.skipped_octets);
	if (s->next_seq <= p.max_seq)
		s->next_seq = p.max_seq + 1;
	surv = plan_survivors(&p, &n, &live);
	recs = calloc(n + 1, sizeof(*recs));
	lens = calloc(n + 1, sizeof(*lens));
	if (!surv || !recs || !lens) {
		snprintf(err, errlen, "%s/%s: out of memory", s->cfg.dir, SPOOL_FILE);
		goto out;
	}
	if (st) {
		memset(st, 0, sizeof(*st));
		st->records = ss.records;
		st->corrupt = ss.corrupt;
		st->truncated = ss.truncated;
		st->skipped_octets = ss.skipped_octets;
	}
	for (size_t i = 0; i < n; i++) {
		struct ref *f = surv[i];
		bool pending = ref_pending(&p, f), is_live = live[f - p.refs];
		uint8_t stop[RADIUS_MAX_PACKET];
		struct acct_spool_rec r = { .seq = f->seq, .wall_ms = f->wall_ms, .body = f->body,
					    .body_len = f->len, .type = pending ? ACCT_SPOOL_REQ : ACCT_SPOOL_SNAP };
		size_t cap = ACCT_SPOOL_MAX_REC * (fn && is_live && pending ? 2 : 1);
		recs[i] = malloc(cap);
		if (!recs[i])
			goto oom;
		ssize_t k = acct_spool_rec_encode(recs[i], ACCT_SPOOL_MAX_REC, &r);
		if (k < 0)
			goto oom;
		lens[i] = (size_t)k;
		if (fn && pending) {
			struct acct_spool_entry e = { .seq = f->seq, .wall_ms = f->wall_ms, .body = f->body,
						      .body_len = f->len };
			fn(arg, &e);
			if (st)
				st->pending++;
		}
		if (fn && is_live) {
			/* At start a live session is a lost one: its Stop replaces
			 * the snapshot (a pending Start or Interim goes too). */
			ssize_t sl = radius_acct_attrs_to_stop(f->body, f->len, lost_cause, stop, sizeof(stop));
			if (sl < 0) {
				log_warn("acct-spool seq=%llu event=lost-session-unrecoverable",
					 (unsigned long long)f->seq);
				if (!pending)
					lens[i] = 0;
				continue;
			}
			struct acct_spool_rec sr = { .type = ACCT_SPOOL_REQ, .seq = s->next_seq++,
						     .wall_ms = f->wall_ms, .body = stop, .body_len = (size_t)sl };
			uint8_t *dst = recs[i] + (pending ? lens[i] : 0);
			size_t room = cap - (pending ? lens[i] : 0);
			k = acct_spool_rec_encode(dst, room, &sr);
			if (k < 0)
				goto oom;
			lens[i] = (pending ? lens[i] : 0) + (size_t)k;
			struct acct_spool_entry e = { .seq = sr.seq, .wall_ms = sr.wall_ms, .body = stop,
						      .body_len = (size_t)sl, .lost_stop = true };
			fn(arg, &e);
			if (st)
				st->lost_sessions++;
		}
	}
	if (spool_install(s, recs, lens, n) < 0) {
		snprintf(err, errlen, "%s/%s: cannot rewrite it: %s", s->cfg.dir, SPOOL_FILE, strerror(errno));
		goto out;
	}
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "%s/%s: out of memory", s->cfg.dir, SPOOL_FILE);
out:
	if (recs)
		for (size_t i = 0; i < n; i++)
			free(recs[i]);
	free(recs);
	free(lens);
	free(surv);
	free(live);
	free(p.refs);
	free(p.dones);
	free(buf);
	return rc;
}

int acct_spool_pending(struct acct_spool *s, void (*fn)(void *arg, const struct acct_spool_entry *e), void *arg)
{
	struct plan p = { 0 };
	struct acct_spool_scan_stats ss;
	char err[256];
	size_t len, n = 0;
	bool *live = NULL;
	int rc = -1;
	if (s->dirty && s->cfg.fsync != ACCT_SPOOL_FSYNC_NONE)
		spool_sync(s);
	uint8_t *buf = read_file(s->dirfd, SPOOL_FILE, &len, err, sizeof(err), s->cfg.dir);
	if (!buf)
		return -1;
	acct_spool_scan(buf, len, plan_add, &p, &ss);
	struct ref **surv = p.oom ? NULL : plan_survivors(&p, &n, &live);
	if (surv) {
		for (size_t i = 0; i < n; i++) {
			if (!ref_pending(&p, surv[i]))
				continue;
			struct acct_spool_entry e = { .seq = surv[i]->seq, .wall_ms = surv[i]->wall_ms,
						      .body = surv[i]->body, .body_len = surv[i]->len };
			fn(arg, &e);
		}
		rc = 0;
	}
	free(surv);
	free(live);
	free(p.refs);
	free(p.dones);
	free(buf);
	return rc;
}

static void compact_fire(struct ev_loop *loop, struct ev_timer *t, void *arg)
{
	struct acct_spool *s = arg;
	char err[256];
	uint64_t before = s->size, t0 = mono_us();
	if (s->dirty)
		spool_sync(s);
	if (spool_rewrite(s, 0, NULL, NULL, NULL, err, sizeof(err)) < 0) {
		s->ctr.errors++;
		log_error("acct-spool event=compaction-failed detail=\"%s\"", err);
		/* try again later, not at every append */
		s->compact_at = s->size + COMPACT_MIN;
		return;
	}
	s->ctr.compactions++;
	log_info("acct-spool event=compacted bytes_before=%llu bytes_after=%llu elapsed_us=%llu",
		 (unsigned long long)before, (unsigned long long)s->size,
		 (unsigned long long)(mono_us() - t0));
}

static void maybe_compact(struct acct_spool *s)
{
	if (s->size >= s->compact_at && !ev_timer_armed(&s->compact_timer))
		ev_timer_start(s->loop, &s->compact_timer, 0);
}

/* ---- public ---- */

struct acct_spool *acct_spool_open(struct ev_loop *loop, const struct acct_spool_config *cfg,
				   uint32_t lost_cause,
				   void (*fn)(void *arg, const struct acct_spool_entry *e), void *arg,
				   struct acct_spool_load_stats *st, char *err, size_t errlen)
{
	struct acct_spool *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "accounting spool: out of memory");
		return NULL;
	}
	s->loop = loop;
	s->cfg = *cfg;
	s->fd = s->lockfd = -1;
	s->next_seq = 1;
	ev_timer_init(&s->sync_timer, sync_fire, s);
	ev_timer_init(&s->compact_timer, compact_fire, s);
	if (mkdir(cfg->dir, 0700) < 0 && errno != EEXIST) {
		snprintf(err, errlen, "%s: cannot create it: %s", cfg->dir, strerror(errno));
		goto fail;
	}
	s->dirfd = open(cfg->dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (s->dirfd < 0) {
		snprintf(err, errlen, "%s: %s", cfg->dir, strerror(errno));
		goto fail;
	}
	s->lockfd = openat(s->dirfd, SPOOL_LOCK, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (s->lockfd < 0 || flock(s->lockfd, LOCK_EX | LOCK_NB) < 0) {
		snprintf(err, errlen, "%s/%s: %s", cfg->dir, SPOOL_LOCK,
			 errno == EWOULDBLOCK ? "locked by another lac-core" : strerror(errno));
		goto fail;
	}
	if (spool_rewrite(s, lost_cause, fn, arg, st, err, errlen) < 0)
		goto fail;
	s->ctr.bytes = s->size;
	return s;
fail:
	if (s->lockfd >= 0)
		close(s->lockfd);
	if (s->dirfd > 0)
		close(s->dirfd);
	if (s->fd >= 0)
		close(s->fd);
	free(s);
	return NULL;
}

void acct_spool_close(struct acct_spool *s)
{
	if (!s)
		return;
	ev_timer_stop(s->loop, &s->sync_timer);
	ev_timer_stop(s->loop, &s->compact_timer);
	if (s->dirty && s->cfg.fsync != ACCT_SPOOL_FSYNC_NONE)
		spool_sync(s);
	close(s->fd);
	close(s->lockfd);
	close(s->dirfd);
	free(s);
}

/* Writes one record; on a short or failed write the file is cut back to its
 * last good end, so no torn record stays in the middle. */
static int spool_write(struct acct_spool *s, const struct acct_spool_rec *r)
{
	uint8_t buf[ACCT_SPOOL_MAX_REC];
	ssize_t n = acct_spool_rec_encode(buf, sizeof(buf), r);
	if (n < 0)
		return -1;
	if (write_all(s->fd, buf, (size_t)n) < 0) {
		s->ctr.errors++;
		log_error("acct-spool event=write-failed errno=%d", errno);
		if (ftruncate(s->fd, (off_t)s->size) < 0)
			log_error("acct-spool event=truncate-failed errno=%d", errno);
		return -1;
	}
	s->size += (size_t)n;
	s->ctr.bytes = s->size;
	return 0;
}

uint64_t acct_spool_append(struct acct_spool *s, uint32_t status, uint64_t wall_ms, const uint8_t *body,
			   size_t body_len)
{
	size_t n = ACCT_SPOOL_HDR_LEN + body_len + ACCT_SPOOL_TRAILER_LEN;
	if (s->cfg.max_bytes && s->size + n > s->cfg.max_bytes) {
		s->ctr.full++;
		log_peer("acct-spool event=full bytes=%llu max_bytes=%llu", (unsigned long long)s->size,
			 (unsigned long long)s->cfg.max_bytes);
		maybe_compact(s);
		if (!ev_timer_armed(&s->compact_timer))
			ev_timer_start(s->loop, &s->compact_timer, 1000);
		return 0;
	}
	struct acct_spool_rec r = { .type = ACCT_SPOOL_REQ, .seq = s->next_seq, .wall_ms = wall_ms,
				    .body = body, .body_len = body_len };
	if (spool_write(s, &r) < 0)
		return 0;
	s->next_seq++;
	s->ctr.appends++;
	bool force = s->cfg.fsync == ACCT_SPOOL_FSYNC_ALWAYS ||
		     (s->cfg.fsync == ACCT_SPOOL_FSYNC_STARTSTOP && status != RADIUS_ACCT_STATUS_INTERIM &&
		      status != RADIUS_ACCT_STATUS_TUNNEL_REJECT && status != RADIUS_ACCT_STATUS_TUNNEL_LINK_REJECT);
	if (force)
		spool_sync(s);
	else
		mark_dirty(s);
	maybe_compact(s);
	return r.seq;
}

void acct_spool_done(struct acct_spool *s, uint64_t seq)
{
	struct acct_spool_rec r = { .type = ACCT_SPOOL_DONE, .seq = seq };
	if (spool_write(s, &r) < 0)
		return;
	s->ctr.dones++;
	mark_dirty(s);
	maybe_compact(s);
}

void acct_spool_counters_get(const struct acct_spool *s, struct acct_spool_counters *out)
{
	*out = s->ctr;
}
