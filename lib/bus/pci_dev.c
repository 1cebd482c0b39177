/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * pci_dev.c - opening PCI devices for drivers (mpdp_pci.h). Placeholder.
 */
#include <errno.h>
#include <stdio.h>

#include <mpdp/mpdp_pci.h>

int mpdp_pci_open(const struct mpdp_pci_device *pdev, struct mpdp_pci_handle **out, char *err,
		  size_t err_size)
{
	(void)out;
	snprintf(err, err_size, "%s: PCI device access is not implemented yet", pdev->name);
	return -ENOTSUP;
}

void mpdp_pci_close(struct mpdp_pci_handle *h)
{
	(void)h;
}
