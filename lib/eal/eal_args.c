/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eal_args.c - the runtime's command line.
 *
 * Runtime options come first and end at "--"; what follows belongs to the
 * application. Parsing has no side effect besides log levels: a bad option is
 * reported (one line naming the option and the value) before anything is
 * created.
 */
#include <ctype.h>
#include <errno.h>
#include <grp.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <mpdp/mpdp_shm.h>

#include "eal_private.h"

static const char usage_text[] =
	"Runtime options (before \"--\"):\n"
	"  --proc-type primary|secondary|auto\n"
	"                        role of this process (default: auto, a secondary when a\n"
	"                        primary of the same prefix runs, else the primary)\n"
	"  --prefix NAME         instance name (default: mpdp); processes with the same\n"
	"                        prefix share one instance\n"
	"  --mem SIZE            shared heap size, e.g. 256M, 1G (primary; default 128M)\n"
	"  --huge / --no-huge    back the heap with hugetlbfs or tmpfs (default: hugetlbfs\n"
	"                        when hugepages are reserved and mounted, tmpfs otherwise)\n"
	"  --iova-mode va|pa     addresses devices use for DMA: va (heap offsets, needs\n"
	"                        vfio-pci with an IOMMU) or pa (physical, needs hugepages);\n"
	"                        default: chosen from the devices (primary only)\n"
	"  -l, --lcores LIST     CPUs to run lcores on, e.g. 0-1 or 0,2 (first = main lcore);\n"
	"                        -lLIST works too\n"
	"  --log-level [COMPONENT:]LEVEL\n"
	"                        err, warning, notice (default), info, debug; repeatable\n"
	"  --runtime-dir DIR     parent of the instance's runtime directory\n"
	"                        (default: /run/mpdp when /run is tmpfs, else /dev/shm/mpdp)\n"
	"  --group GROUP         open runtime files to GROUP (0660, directory 0770)\n"
	"Device options (primary only):\n"
	"  --vdev 'NAME[,KEY=VAL,...]'\n"
	"                        create a virtual device, e.g. net_ring0 or\n"
	"                        net_null0,size=64 (repeatable)\n"
	"  -a, --allow PCI_ADDR  use only these PCI devices, e.g. 0000:00:04.0 (repeatable)\n"
	"  -b, --block PCI_ADDR  never use this PCI device (repeatable)\n"
	"  --no-pci              do not scan the PCI bus\n"
	"  --sysfs-root DIR      read DIR/bus/pci/devices instead of /sys/bus/pci/devices\n"
	"  -h, --help            show this help\n";

const char *mpdp_usage(void)
{
	return usage_text;
}

static int bad(const char *opt, const char *value, const char *why)
{
	EAL_LOG(ERR, "invalid value '%s' for %s: %s", value, opt, why);
	return -EINVAL;
}

int eal_parse_size(const char *s, uint64_t *out)
{
	unsigned long long v;
	char *end;
	int shift = 0;

	if (!isdigit((unsigned char)s[0]))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -EINVAL;
	switch (*end) {
	case '\0':
		break;
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	default:
		return -EINVAL;
	}
	if (*end == 'B' || *end == 'b')
		end++;
	if (*end != '\0' || v > (UINT64_MAX >> shift))
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

static int parse_cpu(const char **p, long *cpu)
{
	char *end;

	if (!isdigit((unsigned char)**p))
		return -EINVAL;
	errno = 0;
	*cpu = strtol(*p, &end, 10);
	if (errno != 0)
		return -EINVAL;
	if (*cpu >= CPU_SETSIZE)
		return -ENODEV; /* a number, but no CPU of this machine */
	*p = end;
	return 0;
}

/* "0-3,5": CPUs in the order given, no duplicates, each usable by this process. */
int eal_parse_cpu_list(const char *s, int16_t *cpus, unsigned int *nb)
{
	cpu_set_t allowed, seen;
	const char *p = s;
	long lo, hi;

	if (sched_getaffinity(0, sizeof(allowed), &allowed) != 0)
		CPU_ZERO(&allowed);
	CPU_ZERO(&seen);
	*nb = 0;
	for (;;) {
		int rc = parse_cpu(&p, &lo);

		if (rc != 0)
			return rc;
		hi = lo;
		if (*p == '-') {
			p++;
			rc = parse_cpu(&p, &hi);
			if (rc != 0)
				return rc;
			if (hi < lo)
				return -EINVAL;
		}
		for (long c = lo; c <= hi; c++) {
			if (CPU_ISSET(c, &seen))
				return -EEXIST;
			if (!CPU_ISSET(c, &allowed))
				return -ENODEV;
			if (*nb == MPDP_MAX_LCORES)
				return -E2BIG;
			CPU_SET(c, &seen);
			cpus[(*nb)++] = (int16_t)c;
		}
		if (*p == '\0')
			return 0;
		if (*p++ != ',')
			return -EINVAL;
	}
}

static int valid_prefix(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n >= EAL_PREFIX_SIZE || s[0] == '.')
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return 0;
	return 1;
}

static int parse_lcores(const char *v, struct eal_options *o)
{
	int rc = eal_parse_cpu_list(v, o->cpus, &o->nb_cpus);

	if (rc == -EEXIST)
		return bad("-l/--lcores", v, "a CPU is listed twice");
	if (rc == -ENODEV)
		return bad("-l/--lcores", v, "a CPU is not available to this process");
	if (rc == -E2BIG)
		return bad("-l/--lcores", v, "too many CPUs");
	if (rc != 0)
		return bad("-l/--lcores", v, "expected a CPU list such as 0-1 or 0,2");
	return 0;
}

static int add_dev_option(const char *opt, const char *v, char list[][MPDP_DEV_OPTION_SIZE],
			  unsigned int *nb)
{
	if (v[0] == '\0')
		return bad(opt, v, "empty");
	if (strlen(v) >= MPDP_DEV_OPTION_SIZE)
		return bad(opt, v, "longer than 511 characters");
	if (*nb == MPDP_MAX_DEV_OPTIONS)
		return bad(opt, v, "given more than 32 times");
	snprintf(list[(*nb)++], MPDP_DEV_OPTION_SIZE, "%s", v);
	return 0;
}

/* Match "--name", "--name=value" or "--name value"; sets *value for options with a value. */
static int match(const char *arg, const char *name, int argc, char **argv, int *i,
		 const char **value, int *missing)
{
	size_t n = strlen(name);

	if (strncmp(arg, name, n) != 0)
		return 0;
	if (arg[n] == '=') {
		*value = arg + n + 1;
		return 1;
	}
	if (arg[n] != '\0')
		return 0;
	if (*i + 1 >= argc || strcmp(argv[*i + 1], "--") == 0) {
		*missing = 1;
		return 1;
	}
	*value = argv[++*i];
	return 1;
}

int eal_parse_args(int argc, char **argv, struct eal_options *o, int *consumed)
{
	int i, rc, missing = 0;
	const char *v = NULL;

	memset(o, 0, sizeof(*o));
	o->proc_type = MPDP_PROC_AUTO;
	o->huge = -1;
	snprintf(o->prefix, sizeof(o->prefix), "mpdp");

	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		v = NULL;
		if (strcmp(a, "--") == 0)
			break;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0)
			return -ECANCELED;
		if (strcmp(a, "--huge") == 0) {
			o->huge = 1;
		} else if (strcmp(a, "--no-huge") == 0) {
			o->huge = 0;
		} else if (match(a, "--proc-type", argc, argv, &i, &v, &missing)) {
			if (missing)
				break;
			if (strcmp(v, "primary") == 0)
				o->proc_type = MPDP_PROC_PRIMARY;
			else if (strcmp(v, "secondary") == 0)
				o->proc_type = MPDP_PROC_SECONDARY;
			else if (strcmp(v, "auto") == 0)
				o->proc_type = MPDP_PROC_AUTO;
			else
				return bad("--proc-type", v, "expected primary, secondary or auto");
		} else if (match(a, "--prefix", argc, argv, &i, &v, &missing)) {
			if (missing)
				break;
			if (!valid_prefix(v))
				return bad("--prefix", v,
					   "expected 1-47 characters of [A-Za-z0-9._-], not starting with '.'");
			snprintf(o->prefix, sizeof(o->prefix), "%s", v);
		} else if (match(a, "--mem", argc, argv, &i, &v, &missing)) {
			if (missing)
				break;
			if (eal_parse_size(v, &o->mem) != 0)
				return bad("--mem", v, "expected a size such as 64M or 1G");
			if (o->mem < (2ULL << 20) || o->mem > (64ULL << 30))
				return bad("--mem", v, "must be between 2M and 64G");
		} else if (match(a, "--iova-mode", argc, argv, &i, &v, &missing)) {
			if (missing)
				break;
			if (strcmp(v, "va") == 0)
				o->iova_mode = MPDP_IOVA_VA;
			else if (strcmp(v, "pa") == 0)
				o->iova_mode = MPDP_IOVA_PA;
			else
				return bad("--iova-mode", v, "expected va or pa");
		} else if (match(a, "--lcores", argc, argv, &i, &v, &missing) ||
			   match(a, "-l", argc, argv, &i, &v, &missing) ||
			   (strncmp(a, "-l", 2) == 0 && isdigit((unsigned char)a[2]) && (v = a + 2))) {
			/* -l LIST, -lLIST, --lcores LIST, --lcores=LIST */
			if (missing)
				break;
			rc = parse_lcores(v, o);
			if (rc != 0)
				return rc;
		} else if (match(a, "--log-level", argc, argv, &i, &v, &missing)) {
			if (missing)
				break;
			if (mpdp_log_parse_level(v) != 0)
				return bad("--log-level", v,
					   "expected [component:]err|warning|notice|info|debug");
		} else if (match(a, "--runtime-dir", argc, argv, &i, &v, &missing)) {
			if (missing)
				break;
			if (v[0] != '/' || strlen(v) >= 80)
				return bad("--runtime-dir", v,
					   "expected an absolute path shorter than 80 characters");
			snprintf(o->runtime_dir, sizeof(o->runtime_dir), "%s", v);
		} else if (strcmp(a, "--no-pci") == 0) {
			o->no_pci = 1;
		} else if (match(a, "--vdev", argc, argv, &i, &v, &missing)) {
			if (missing)
				break;
			rc = add_dev_option("--vdev", v, o->vdevs, &o->nb_vdevs);
			if (rc != 0)
				return rc;
		} else if (match(a, "--allow", argc, argv, &i, &v, &missing) ||
			   match(a, "-a", argc, argv, &i, &v, &missing)) {
			if (missing)
				break;
			rc = add_dev_option("-a/--allow", v, o->allow, &o->nb_allow);
			if (rc != 0)
				return rc;
		} else if (match(a, "--block", argc, argv, &i, &v, &missing) ||
			   match(a, "-b", argc, argv, &i, &v, &missing)) {
			if (missing)
				break;
			rc = add_dev_option("-b/--block", v, o->block, &o->nb_block);
			if (rc != 0)
				return rc;
		} else if (match(a, "--sysfs-root", argc, argv, &i, &v, &missing)) {
			if (missing)
				break;
			if (v[0] == '\0' || strlen(v) >= sizeof(o->sysfs_root) - 32)
				return bad("--sysfs-root", v, "expected a directory path");
			snprintf(o->sysfs_root, sizeof(o->sysfs_root), "%s", v);
		} else if (match(a, "--group", argc, argv, &i, &v, &missing)) {
			struct group *g;

			if (missing)
				break;
			g = getgrnam(v);
			if (g == NULL)
				return bad("--group", v, "no such group");
			o->has_group = 1;
			o->group = g->gr_gid;
		} else {
			EAL_LOG(ERR, "unknown option '%s' (runtime options end at \"--\"; see --help)",
				a);
			return -EINVAL;
		}
	}
	if (missing) {
		EAL_LOG(ERR, "option '%s' needs a value", argv[i]);
		return -EINVAL;
	}
	/* argv[i] is "--" or i == argc; the application's argv starts at i */
	*consumed = i < argc ? i : argc - 1;
	return 0;
}
