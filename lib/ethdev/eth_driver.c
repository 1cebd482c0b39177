/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * eth_driver.c - the process-local driver registry.
 *
 * Drivers register from constructors, before main(), so the registry is
 * complete before mpdp_init() and is never written afterwards: lookups take
 * no lock. Each process has the drivers linked into its own binary; a port's
 * driver is found by the name stored in its shared slot (DESIGN.md rule 5).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "ethdev_private.h"

#define ETH_MAX_DRIVERS 32

static const struct mpdp_eth_driver *drivers[ETH_MAX_DRIVERS];
static unsigned int nb_drivers;

int mpdp_eth_driver_register(const struct mpdp_eth_driver *drv)
{
	if (drv == NULL || drv->name == NULL || drv->ops == NULL ||
	    strlen(drv->name) >= MPDP_NAME_SIZE || drv->ops->rx_burst == NULL ||
	    drv->ops->tx_burst == NULL || drv->ops->queue_attach == NULL ||
	    (drv->bus == MPDP_BUS_VDEV && drv->probe_vdev == NULL) ||
	    (drv->bus == MPDP_BUS_PCI && (drv->probe_pci == NULL || drv->pci_ids == NULL))) {
		ETH_LOG(ERR, "driver %s: incomplete driver structure, not registered",
			drv != NULL && drv->name != NULL ? drv->name : "(null)");
		return -EINVAL;
	}
	if (mpdp_eth_driver_find(drv->name) != NULL) {
		ETH_LOG(ERR, "driver %s registered twice", drv->name);
		return -EEXIST;
	}
	if (nb_drivers == ETH_MAX_DRIVERS) {
		ETH_LOG(ERR, "driver %s: registry full (%d drivers)", drv->name, ETH_MAX_DRIVERS);
		return -ENOSPC;
	}
	drivers[nb_drivers++] = drv;
	return 0;
}

unsigned int eth_driver_count(void)
{
	return nb_drivers;
}

const struct mpdp_eth_driver *mpdp_eth_driver_find(const char *name)
{
	for (unsigned int i = 0; i < nb_drivers; i++)
		if (strcmp(drivers[i]->name, name) == 0)
			return drivers[i];
	return NULL;
}

/* The vdev driver with the longest name that prefixes name ("net_ring0" -> net_ring). */
const struct mpdp_eth_driver *eth_driver_for_vdev(const char *name)
{
	const struct mpdp_eth_driver *best = NULL;
	size_t best_len = 0;

	for (unsigned int i = 0; i < nb_drivers; i++) {
		size_t n = strlen(drivers[i]->name);

		if (drivers[i]->bus == MPDP_BUS_VDEV && strncmp(name, drivers[i]->name, n) == 0 &&
		    n > best_len) {
			best = drivers[i];
			best_len = n;
		}
	}
	return best;
}

const struct mpdp_eth_driver *eth_driver_for_pci(uint16_t vendor, uint16_t device)
{
	for (unsigned int i = 0; i < nb_drivers; i++) {
		const struct mpdp_pci_id *id = drivers[i]->pci_ids;

		if (drivers[i]->bus != MPDP_BUS_PCI)
			continue;
		for (; id->vendor != 0; id++)
			if ((id->vendor == vendor || id->vendor == MPDP_PCI_ANY_ID) &&
			    (id->device == device || id->device == MPDP_PCI_ANY_ID))
				return drivers[i];
	}
	return NULL;
}

void eth_driver_names(char *buf, size_t size, enum mpdp_bus_type bus)
{
	size_t len = 0;

	buf[0] = '\0';
	for (unsigned int i = 0; i < nb_drivers && len < size; i++)
		if (drivers[i]->bus == bus)
			len += (size_t)snprintf(buf + len, size - len, "%s%s", len ? ", " : "",
						drivers[i]->name);
	if (buf[0] == '\0')
		snprintf(buf, size, "none");
}
