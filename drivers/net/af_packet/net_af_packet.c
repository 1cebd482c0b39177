/* SPDX-License-Identifier: BSD-3-Clause */
/* placeholder: the driver is being written */
