/*
 * scan_only.c - the limit: libclamav alone on the decoded parts of each
 * message, with the engine built the way src/lib/scan.c builds it.
 *
 * SYNOPSIS
 *	scan_only -d DIR [-d DIR]... [-r ROUNDS] [-j THREADS] [-i] [-n] LIST
 *
 * DESCRIPTION
 *	LIST holds one message per line: the paths of the files the
 *	pipeline scans for it (text bodies and decoded attachments),
 *	separated by tabs. Every file is read into memory first; a scan is
 *	cl_scanmap_callback() on a memory map, as scan.c does for parts under
 *	the spool threshold, with the same options (all-match, every parser,
 *	the encrypted/macro/limit heuristics) and the same engine settings
 *	(airlock.conf's default [scan] limits, clean-file cache off). No
 *	callbacks: what remains is libclamav's own work. With -i, an empty
 *	file-inspection callback is registered (scan.c registers one), to
 *	measure what merely having one costs inside libclamav. With -n,
 *	image fuzzy hashes are not computed, as scan.c does when [scan]
 *	image_fuzzy_hash resolves to off (no fuzzy_img signature loaded).
 *
 *	Each round scans every message once, the messages shared out among
 *	THREADS threads (default 1). Prints one JSON object: engine load and
 *	compile time, signature count, resident memory after loading
 *	(VmRSS) and at the end (VmHWM, the peak), and per round the wall
 *	time, the process CPU time and, per message, the wall time of its
 *	scans in microseconds.
 *
 * EXIT STATUS
 *	0 when every file was scanned (clean or not), 1 on any error.
 */
#include <clamav.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#define MAX_DIRS 8
#define MAX_PARTS 16

struct part {
	unsigned char *data;
	size_t size;
};

struct message {
	struct part parts[MAX_PARTS];
	int part_count;
	long long wall_us; /* of the current round */
	int failed;
};

struct corpus {
	struct message *messages;
	int count;
	int next; /* next message to scan this round, under lock */
	pthread_mutex_t lock;
	struct cl_engine *engine;
};

static cl_error_t on_inspect(int fd, const char *type, const char **ancestors,
			     size_t parent_file_size, const char *file_name, size_t file_size,
			     const char *file_buffer, uint32_t recursion_level,
			     uint32_t layer_attributes, void *context)
{
	(void)fd, (void)type, (void)ancestors, (void)parent_file_size, (void)file_name;
	(void)file_size, (void)file_buffer, (void)recursion_level, (void)layer_attributes;
	(void)context;
	return CL_CLEAN;
}

static long long now_us(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (long long)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static long long cpu_us(void)
{
	struct rusage usage;

	if (getrusage(RUSAGE_SELF, &usage) != 0)
		return -1;
	return (long long)(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec) * 1000000 +
	       usage.ru_utime.tv_usec + usage.ru_stime.tv_usec;
}

/* VmRSS or VmHWM of this process in KiB, or -1. */
static long status_kib(const char *field)
{
	char line[256];
	long value = -1;
	size_t length = strlen(field);
	FILE *f = fopen("/proc/self/status", "r");

	if (f == NULL)
		return -1;
	while (fgets(line, sizeof(line), f) != NULL)
		if (strncmp(line, field, length) == 0 && line[length] == ':')
			value = strtol(line + length + 1, NULL, 10);
	fclose(f);
	return value;
}

static int read_file(const char *path, struct part *part)
{
	FILE *f = fopen(path, "rb");
	long size;
	int rc = -1;

	if (f == NULL) {
		fprintf(stderr, "scan_only: %s: %s\n", path, strerror(errno));
		return -1;
	}
	if (fseek(f, 0, SEEK_END) != 0 || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET) != 0)
		goto out;
	part->size = (size_t)size;
	part->data = malloc(part->size > 0 ? part->size : 1);
	if (part->data == NULL || fread(part->data, 1, part->size, f) != part->size)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		fprintf(stderr, "scan_only: cannot read %s\n", path);
	fclose(f);
	return rc;
}

static int parse_line(char *line, struct message *message)
{
	char *save = NULL;

	line[strcspn(line, "\r\n")] = '\0';
	for (char *path = strtok_r(line, "\t", &save); path != NULL;
	     path = strtok_r(NULL, "\t", &save)) {
		if (message->part_count == MAX_PARTS) {
			fprintf(stderr, "scan_only: more than %d parts in one message\n", MAX_PARTS);
			return -1;
		}
		if (read_file(path, &message->parts[message->part_count]) != 0)
			return -1;
		message->part_count++;
	}
	return 0;
}

static int load_list(const char *path, struct corpus *corpus)
{
	char line[8192];
	FILE *f = fopen(path, "r");
	int rc = 0;

	if (f == NULL) {
		fprintf(stderr, "scan_only: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		struct message *grown;

		if (line[0] == '\n' || line[0] == '\0')
			continue;
		grown = realloc(corpus->messages, sizeof(*grown) * (size_t)(corpus->count + 1));
		if (grown == NULL) {
			rc = -1;
			break;
		}
		corpus->messages = grown;
		memset(&corpus->messages[corpus->count], 0, sizeof(*grown));
		rc = parse_line(line, &corpus->messages[corpus->count]);
		corpus->count++;
	}
	fclose(f);
	return rc;
}

/* The settings of scan.c's set_limits() with airlock.conf's defaults. */
static int set_limits(struct cl_engine *engine)
{
	const struct {
		enum cl_engine_field field;
		long long value;
	} limits[] = {
		{ CL_ENGINE_MAX_FILESIZE, 100LL << 20 }, { CL_ENGINE_MAX_SCANSIZE, 400LL << 20 },
		{ CL_ENGINE_MAX_RECURSION, 16 },	 { CL_ENGINE_MAX_FILES, 10000 },
		{ CL_ENGINE_MAX_SCANTIME, 120000 },	 { CL_ENGINE_DISABLE_CACHE, 1 },
	};

	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++)
		if (cl_engine_set_num(engine, limits[i].field, limits[i].value) != CL_SUCCESS)
			return -1;
	return 0;
}

static struct cl_engine *load_engine(char **dirs, int dir_count, unsigned int *signatures_r)
{
	struct cl_engine *engine = cl_engine_new();
	cl_error_t rc;

	if (engine == NULL || set_limits(engine) != 0) {
		fprintf(stderr, "scan_only: cannot set up a libclamav engine\n");
		goto fail;
	}
	for (int i = 0; i < dir_count; i++) {
		rc = cl_load(dirs[i], engine, signatures_r, CL_DB_STDOPT);
		if (rc != CL_SUCCESS) {
			fprintf(stderr, "scan_only: cannot load %s: %s\n", dirs[i], cl_strerror(rc));
			goto fail;
		}
	}
	rc = cl_engine_compile(engine);
	if (rc == CL_SUCCESS)
		return engine;
	fprintf(stderr, "scan_only: cannot compile the engine: %s\n", cl_strerror(rc));
fail:
	if (engine != NULL)
		cl_engine_free(engine);
	return NULL;
}

static unsigned int parse_options = ~0u;

static int scan_part(struct cl_engine *engine, const struct part *part)
{
	struct cl_scan_options options = {
		.general = CL_SCAN_GENERAL_ALLMATCHES | CL_SCAN_GENERAL_HEURISTICS,
		.parse = parse_options,
		.heuristic = CL_SCAN_HEURISTIC_ENCRYPTED_ARCHIVE | CL_SCAN_HEURISTIC_ENCRYPTED_DOC |
			     CL_SCAN_HEURISTIC_MACROS | CL_SCAN_HEURISTIC_EXCEEDS_MAX,
		.mail = 0,
	};
	const char *virname = NULL;
	unsigned long scanned = 0;
	cl_fmap_t *map;
	cl_error_t rc;

	if (part->size == 0)
		return 0;
	map = cl_fmap_open_memory(part->data, part->size);
	if (map == NULL)
		return -1;
	rc = cl_scanmap_callback(map, NULL, &virname, &scanned, engine, &options, NULL);
	cl_fmap_close(map);
	switch (rc) {
	case CL_CLEAN:
	case CL_VIRUS:
	case CL_ETIMEOUT:
	case CL_EMAXREC:
	case CL_EMAXSIZE:
	case CL_EMAXFILES:
		return 0;
	default:
		fprintf(stderr, "scan_only: scan failed: %s\n", cl_strerror(rc));
		return -1;
	}
}

static void *worker(void *arg)
{
	struct corpus *corpus = arg;

	for (;;) {
		struct message *message;
		long long start;
		int index;

		pthread_mutex_lock(&corpus->lock);
		index = corpus->next++;
		pthread_mutex_unlock(&corpus->lock);
		if (index >= corpus->count)
			return NULL;
		message = &corpus->messages[index];
		start = now_us(CLOCK_MONOTONIC);
		for (int i = 0; i < message->part_count; i++)
			if (scan_part(corpus->engine, &message->parts[i]) != 0)
				message->failed = 1;
		message->wall_us = now_us(CLOCK_MONOTONIC) - start;
	}
}

static int run_round(struct corpus *corpus, int threads, int round)
{
	pthread_t ids[64];
	long long wall = now_us(CLOCK_MONOTONIC), cpu = cpu_us();
	int started = 0, failed = 0;

	corpus->next = 0;
	for (; started < threads; started++)
		if (pthread_create(&ids[started], NULL, worker, corpus) != 0)
			break;
	for (int i = 0; i < started; i++)
		pthread_join(ids[i], NULL);
	if (started == 0)
		return -1;
	wall = now_us(CLOCK_MONOTONIC) - wall;
	cpu = cpu_us() - cpu;
	printf("%s{\"round\":%d,\"wall_us\":%lld,\"cpu_us\":%lld,\"message_wall_us\":[", round ? "," : "",
	       round, wall, cpu);
	for (int i = 0; i < corpus->count; i++) {
		printf("%s%lld", i ? "," : "", corpus->messages[i].wall_us);
		failed |= corpus->messages[i].failed;
	}
	printf("]}");
	return failed ? -1 : 0;
}

static int usage(void)
{
	fprintf(stderr,
		"usage: scan_only -d DIR [-d DIR]... [-r ROUNDS] [-j THREADS] [-i] [-n] LIST\n");
	return 2;
}

int main(int argc, char **argv)
{
	struct corpus corpus = { .lock = PTHREAD_MUTEX_INITIALIZER };
	char *dirs[MAX_DIRS];
	int dir_count = 0, rounds = 1, threads = 1, opt, status = 1, inspect = 0;
	unsigned int signatures = 0;
	long long load_us;
	long rss_before_kib;

	while ((opt = getopt(argc, argv, "d:r:j:in")) != -1) {
		if (opt == 'd' && dir_count < MAX_DIRS)
			dirs[dir_count++] = optarg;
		else if (opt == 'r')
			rounds = atoi(optarg);
		else if (opt == 'j')
			threads = atoi(optarg);
		else if (opt == 'i')
			inspect = 1;
		else if (opt == 'n')
			parse_options = ~(unsigned int)CL_SCAN_PARSE_IMAGE_FUZZY_HASH;
		else
			return usage();
	}
	if (optind != argc - 1 || dir_count == 0 || rounds < 1 || threads < 1 || threads > 64)
		return usage();
	if (cl_init(CL_INIT_DEFAULT) != CL_SUCCESS || load_list(argv[optind], &corpus) != 0)
		return 1;
	rss_before_kib = status_kib("VmRSS");
	load_us = now_us(CLOCK_MONOTONIC);
	corpus.engine = load_engine(dirs, dir_count, &signatures);
	if (corpus.engine == NULL)
		return 1;
	load_us = now_us(CLOCK_MONOTONIC) - load_us;
	if (inspect)
		cl_engine_set_clcb_file_inspection(corpus.engine, on_inspect);
	printf("{\"signatures\":%u,\"load_us\":%lld,\"rss_before_load_kib\":%ld,"
	       "\"rss_after_load_kib\":%ld,\"messages\":%d,\"threads\":%d,\"rounds\":[",
	       signatures, load_us, rss_before_kib, status_kib("VmRSS"), corpus.count, threads);
	status = 0;
	for (int round = 0; round < rounds; round++)
		if (run_round(&corpus, threads, round) != 0)
			status = 1;
	printf("],\"hwm_kib\":%ld}\n", status_kib("VmHWM"));
	cl_engine_free(corpus.engine);
	for (int i = 0; i < corpus.count; i++)
		for (int j = 0; j < corpus.messages[i].part_count; j++)
			free(corpus.messages[i].parts[j].data);
	free(corpus.messages);
	return status;
}
