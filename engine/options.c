/* options.c - struct rf_options: the defaults, the name tables of its
 * enums, the error messages, and the placement check of the command line. */
#include "config.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "run.h"

void rf_options_init(struct rf_options *opt)
{
	memset(opt, 0, sizeof *opt);
	opt->mode = RF_MODE_AUTO;
	opt->io = RF_IO_AUTO;
	opt->simd = RF_SIMD_AUTO;
	opt->memory = 64 * MiB;
	opt->max_record = 256 * MiB;
	opt->out_fd = 1;
	opt->rejects_fd = -1;
}

static const char *const format_names[] = { "table", "tsv", "csv", "json" };

int rf_format_parse(const char *name, enum rf_out_format *out)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(name, format_names[i]) == 0) {
			*out = (enum rf_out_format)i;
			return 0;
		}
	return -EINVAL;
}

static const char *const io_names[] = { "auto", "read", "mmap", "uring" };
static const char *const mode_names[] = { "auto", "serial", "parallel", "multiprocess", "pipeline", "async" };

const char *rf_io_name(enum rf_io io)
{
	return (unsigned)io < 4 ? io_names[io] : "?";
}

const char *rf_mode_name(enum rf_mode mode)
{
	return (unsigned)mode < 6 ? mode_names[mode] : "?";
}

int rf_io_parse(const char *name, enum rf_io *out)
{
	for (int i = 0; i < 4; i++)
		if (strcmp(name, io_names[i]) == 0) {
			*out = (enum rf_io)i;
			return 0;
		}
	return -EINVAL;
}

int rf_mode_parse(const char *name, enum rf_mode *out)
{
	for (int i = 0; i < 6; i++)
		if (strcmp(name, mode_names[i]) == 0) {
			*out = (enum rf_mode)i;
			return 0;
		}
	return -EINVAL;
}

const char *rf_strerror(int err)
{
	switch (err) {
	case -EOVERFLOW:
		return "the group-by outgrew --group-memory: raise it, or group by fewer or coarser keys";
	case -ENOTSUP:
		return "the requested SIMD level is not supported by this CPU";
	case -E2BIG:
		return "record longer than --max-record";
	case -EBADMSG:
		return "a record could not be parsed (--strict)";
	default:
		return strerror(err < 0 ? -err : err);
	}
}

void place_options(const struct rf_options *opt, struct rf_place_options *po)
{
	memset(po, 0, sizeof *po);
	po->policy = opt->numa == RF_NUMA_MODE_OFF ? RF_NUMA_OFF
		   : opt->numa == RF_NUMA_MODE_INTERLEAVE ? RF_NUMA_INTERLEAVE
		   : opt->numa == RF_NUMA_MODE_NODE ? RF_NUMA_NODE : RF_NUMA_AUTO;
	po->node = opt->numa_node;
	for (int i = 0; opt->cpus && i < opt->ncpus && i < RF_NUMA_MAX_CPUS; i++)
		po->cpus[po->ncpus++] = opt->cpus[i];
}

int rf_parse_cpus(const char *list, int *cpus, int max, int *n)
{
	return rf__parse_cpu_list(list, cpus, max, n);
}

int rf_check_placement(const struct rf_options *opt, char *err, size_t err_len)
{
	struct rf_topology *t = malloc(sizeof *t);
	struct rf_placement *pl = malloc(sizeof *pl);
	struct rf_place_options *po = malloc(sizeof *po);
	int r = -ENOMEM;
	if (t && pl && po) {
		rf__topology_read(t);
		place_options(opt, po);
		r = rf__place(t, RF_PLACE_SPREAD, 1, po, pl, err, err_len);
	}
	free(t);
	free(pl);
	free(po);
	return r;
}
