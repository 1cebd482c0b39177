#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""mkfakesysfs.py - build a fake sysfs tree of PCI devices for tests.

Usage:
  mkfakesysfs.py --root DIR [--preset NAME] [--dev SPEC]...

SPEC is ADDR,VENDOR,DEVICE,CLASS,DRIVER[,OPTION...], hex without 0x:

  0000:00:03.0,1af4,1000,020000,virtio-pci
  0000:00:04.0,1af4,1000,020000,igb_uio,uio=0
  0000:00:09.0,1af4,1000,020000,uio_pci_generic,uio=1
  0000:00:0a.0,8086,1572,020000,vfio-pci,iommu=7,numa=0
  0000:00:0c.0,1af4,1041,020000,                 (empty DRIVER: unbound)

OPTIONs:
  numa=N                   numa_node (default -1)
  uio=N                    a uio/uioN directory (as uio_pci_generic/igb_uio make)
  iommu=N                  an iommu_group symlink to DIR/kernel/iommu_groups/N
  sub=VVVV:DDDD            subsystem vendor and device (default VENDOR:0000)
  barI=START:LEN:FLAGS     BAR I (0-5), hex; barI=0 for an unimplemented BAR.
                           Default: BAR0 I/O (len 0x40, flags 0x40101) and
                           BAR1 memory (len 0x1000, flags 0x40200), at
                           addresses that differ per device.
  regs=N                   virtio legacy fake (below): resource0 holds only
                           the first N bytes (decimal) of the register block,
                           a broken device

A file-backed legacy virtio-net device (net_virtio probes it for real): a
1af4:1000 device bound to uio_pci_generic, igb_uio or vfio-pci gets

  config      256 bytes: vendor, device, command 0, status 0 (no capability
              list: legacy only), class, BAR words, subsystem ids
  resource0   the legacy register block, 0x40 bytes, little-endian:
                @0  u32 device features: MAC, MRG_RXBUF, STATUS (0x18020)
                @4  u32 guest features    @8  u32 queue PFN
                @12 u16 QUEUE_NUM = 256   @14 u16 queue select
                @16 u16 queue notify      @18 u8 status   @19 u8 ISR
                @20 MAC 52:54:00:BB:DD:0F (bus, device, function)
                @26 u16 net status = 1 (link up)
              a plain file: what the driver writes stays there, the device
              never does anything (no DMA, no queue): tests read it back.

Every other device gets dummy config (256 zero bytes) and resource<i>
(empty) files.

Presets (added before any --dev):
  field-report-000   the five virtio-net NICs (1af4:1000, class 020000) of
                     field report 000: 00:03.0 on virtio-pci (the management
                     NIC), 00:04.0, 00:09.0, 00:0a.0, 00:0b.0 on igb_uio
                     (uio0..uio3).

The layout is the kernel's, so code that reads /sys reads DIR the same way:

  DIR/devices/pciDDDD:BB/ADDR/        vendor device subsystem_vendor
                                      subsystem_device class numa_node
                                      resource (7 lines: 6 BARs, ROM)
                                      config resource0.. (dummies: a scan
                                      must never open them)
  DIR/devices/pciDDDD:BB/ADDR/driver  -> ../../../bus/pci/drivers/DRIVER
  DIR/devices/pciDDDD:BB/ADDR/uio/uioN/
  DIR/devices/pciDDDD:BB/ADDR/iommu_group -> ../../../kernel/iommu_groups/N
  DIR/bus/pci/devices/ADDR            -> ../../../devices/pciDDDD:BB/ADDR
  DIR/bus/pci/drivers/DRIVER/ADDR     -> ../../../../devices/pciDDDD:BB/ADDR
  DIR/kernel/iommu_groups/N/devices/ADDR -> ../../../../devices/pciDDDD:BB/ADDR
  DIR/class/uio/uioN                  -> ../../devices/pciDDDD:BB/ADDR/uio/uioN

DIR is created if missing; DIR/bus/pci/devices always exists (empty without
devices). Adding to an existing tree works; a device that exists already is
an error. Exit status 0, or 2 with a message on stderr for a bad SPEC.

Tests then point the scan at it: mpdp_pci_scan(DIR, ...) or an mpdp
program's --sysfs-root DIR.
"""

import argparse
import os
import re
import struct
import sys

PRESETS = {
    "field-report-000": [
        "0000:00:03.0,1af4,1000,020000,virtio-pci,sub=1af4:0001",
        "0000:00:04.0,1af4,1000,020000,igb_uio,uio=0,sub=1af4:0001",
        "0000:00:09.0,1af4,1000,020000,igb_uio,uio=1,sub=1af4:0001",
        "0000:00:0a.0,1af4,1000,020000,igb_uio,uio=2,sub=1af4:0001",
        "0000:00:0b.0,1af4,1000,020000,igb_uio,uio=3,sub=1af4:0001",
    ],
}

ADDR_RE = re.compile(r"^([0-9a-f]{4}):([0-9a-f]{2}):([01][0-9a-f])\.([0-7])$")
HEX_RE = re.compile(r"^[0-9a-fA-F]+$")
DRIVER_RE = re.compile(r"^[A-Za-z0-9_.-]*$")


class SpecError(Exception):
    pass


def hexval(spec, what, text, digits):
    if not HEX_RE.match(text) or len(text) > digits:
        raise SpecError("%s: %s '%s' is not hex of at most %d digits" % (spec, what, text, digits))
    return int(text, 16)


def parse_spec(spec, index):
    fields = spec.split(",")
    if len(fields) < 5:
        raise SpecError("%s: expected ADDR,VENDOR,DEVICE,CLASS,DRIVER[,OPTION...]" % spec)
    addr = fields[0].lower()
    if not ADDR_RE.match(addr):
        raise SpecError("%s: address '%s' is not DDDD:BB:DD.F" % (spec, fields[0]))
    dev = {
        "addr": addr,
        "vendor": hexval(spec, "vendor", fields[1], 4),
        "device": hexval(spec, "device", fields[2], 4),
        "class": hexval(spec, "class", fields[3], 6),
        "driver": fields[4],
        "numa": -1,
        "uio": None,
        "iommu": None,
        "bars": [(0, 0, 0)] * 6,
        "regs": None,
    }
    if not DRIVER_RE.match(dev["driver"]):
        raise SpecError("%s: driver '%s' is not a driver name" % (spec, dev["driver"]))
    dev["sub"] = (dev["vendor"], 0)
    # default BARs, at addresses that differ per device
    dev["bars"][0] = (0xC000 + 0x40 * index, 0x40, 0x40101)
    dev["bars"][1] = (0xFEB00000 + 0x1000 * index, 0x1000, 0x40200)
    for opt in fields[5:]:
        key, eq, val = opt.partition("=")
        if not eq:
            raise SpecError("%s: option '%s' is not KEY=VALUE" % (spec, opt))
        try:
            if key == "numa":
                dev["numa"] = int(val, 10)
            elif key == "uio":
                dev["uio"] = int(val, 10)
                if dev["uio"] < 0:
                    raise ValueError
            elif key == "iommu":
                dev["iommu"] = int(val, 10)
                if dev["iommu"] < 0:
                    raise ValueError
            elif key == "sub":
                sv, colon, sd = val.partition(":")
                if not colon:
                    raise ValueError
                dev["sub"] = (hexval(spec, "subsystem vendor", sv, 4),
                              hexval(spec, "subsystem device", sd, 4))
            elif key == "regs":
                dev["regs"] = int(val, 10)
                if dev["regs"] < 0:
                    raise ValueError
            elif re.match(r"^bar[0-5]$", key):
                i = int(key[3])
                if val == "0":
                    dev["bars"][i] = (0, 0, 0)
                else:
                    parts = val.split(":")
                    if len(parts) != 3:
                        raise ValueError
                    dev["bars"][i] = tuple(hexval(spec, key, p, 16) for p in parts)
            else:
                raise SpecError("%s: unknown option '%s'" % (spec, key))
        except ValueError:
            raise SpecError("%s: bad value in option '%s'" % (spec, opt)) from None
    return dev


def write(path, text):
    with open(path, "w") as f:
        f.write(text)


def symlink(target, link):
    os.makedirs(os.path.dirname(link), exist_ok=True)
    os.symlink(target, link)


USERSPACE_DRIVERS = ("uio_pci_generic", "igb_uio", "vfio-pci")
VIRTIO_LEGACY_FEATURES = (1 << 5) | (1 << 15) | (1 << 16)  # MAC, MRG_RXBUF, STATUS
VIRTIO_LEGACY_REGS = 0x40


def is_virtio_legacy_fake(dev):
    return (dev["vendor"], dev["device"]) == (0x1af4, 0x1000) and \
        dev["driver"] in USERSPACE_DRIVERS


def addr_parts(addr):
    m = ADDR_RE.match(addr)
    return int(m.group(2), 16), int(m.group(3), 16), int(m.group(4), 16)


def config_space(dev):
    cfg = bytearray(256)
    struct.pack_into("<HHHH", cfg, 0, dev["vendor"], dev["device"], 0, 0)
    struct.pack_into("<I", cfg, 8, dev["class"] << 8)  # revision 0
    for i, (start, length, flags) in enumerate(dev["bars"]):
        if length:
            word = (start & ~0x3) | 0x1 if flags & 0x100 else start & 0xFFFFFFF0
            struct.pack_into("<I", cfg, 0x10 + 4 * i, word & 0xFFFFFFFF)
    struct.pack_into("<HH", cfg, 0x2C, dev["sub"][0], dev["sub"][1])
    return bytes(cfg)


def virtio_legacy_regs(dev):
    regs = bytearray(VIRTIO_LEGACY_REGS)
    bus, devid, fn = addr_parts(dev["addr"])
    struct.pack_into("<I", regs, 0, VIRTIO_LEGACY_FEATURES)
    struct.pack_into("<H", regs, 12, 256)
    regs[20:26] = bytes([0x52, 0x54, 0x00, bus, devid, fn])
    struct.pack_into("<H", regs, 26, 1)
    if dev["regs"] is not None:
        regs = regs[:dev["regs"]]
    return bytes(regs)


def write_bytes(path, data):
    with open(path, "wb") as f:
        f.write(data)


def make_device(root, dev):
    addr = dev["addr"]
    host = "pci" + addr[:7]  # pciDDDD:BB
    rel_dev = os.path.join("devices", host, addr)
    ddir = os.path.join(root, rel_dev)
    link = os.path.join(root, "bus", "pci", "devices", addr)
    if os.path.lexists(ddir) or os.path.lexists(link):
        raise SpecError("%s: the tree has this device already" % addr)
    os.makedirs(ddir)
    write(os.path.join(ddir, "vendor"), "0x%04x\n" % dev["vendor"])
    write(os.path.join(ddir, "device"), "0x%04x\n" % dev["device"])
    write(os.path.join(ddir, "subsystem_vendor"), "0x%04x\n" % dev["sub"][0])
    write(os.path.join(ddir, "subsystem_device"), "0x%04x\n" % dev["sub"][1])
    write(os.path.join(ddir, "class"), "0x%06x\n" % dev["class"])
    write(os.path.join(ddir, "numa_node"), "%d\n" % dev["numa"])
    lines = []
    for start, length, flags in dev["bars"] + [(0, 0, 0)]:  # + the ROM line
        end = start + length - 1 if length else 0
        lines.append("0x%016x 0x%016x 0x%016x\n" % (start, end, flags))
    write(os.path.join(ddir, "resource"), "".join(lines))
    # the kernel also has these; a scan must not open them
    if is_virtio_legacy_fake(dev):
        write_bytes(os.path.join(ddir, "config"), config_space(dev))
    else:
        write(os.path.join(ddir, "config"), "\0" * 256)
    for i, (start, length, flags) in enumerate(dev["bars"]):
        if length:
            if i == 0 and is_virtio_legacy_fake(dev):
                write_bytes(os.path.join(ddir, "resource0"), virtio_legacy_regs(dev))
            else:
                write(os.path.join(ddir, "resource%d" % i), "")

    symlink(os.path.join("..", "..", "..", rel_dev), link)
    if dev["driver"]:
        drv_dir = os.path.join(root, "bus", "pci", "drivers", dev["driver"])
        os.makedirs(drv_dir, exist_ok=True)
        symlink(os.path.join("..", "..", "..", "bus", "pci", "drivers", dev["driver"]),
                os.path.join(ddir, "driver"))
        symlink(os.path.join("..", "..", "..", "..", rel_dev), os.path.join(drv_dir, addr))
    if dev["uio"] is not None:
        uio = "uio%d" % dev["uio"]
        os.makedirs(os.path.join(ddir, "uio", uio))
        write(os.path.join(ddir, "uio", uio, "name"), dev["driver"] + "\n")
        symlink(os.path.join("..", "..", rel_dev, "uio", uio),
                os.path.join(root, "class", "uio", uio))
    if dev["iommu"] is not None:
        group = str(dev["iommu"])
        gdir = os.path.join(root, "kernel", "iommu_groups", group, "devices")
        os.makedirs(gdir, exist_ok=True)
        symlink(os.path.join("..", "..", "..", "kernel", "iommu_groups", group),
                os.path.join(ddir, "iommu_group"))
        symlink(os.path.join("..", "..", "..", "..", rel_dev), os.path.join(gdir, addr))


def main(argv):
    ap = argparse.ArgumentParser(
        description="Build a fake sysfs tree of PCI devices (see the top of this file).")
    ap.add_argument("--root", required=True, help="directory to build the tree in")
    ap.add_argument("--preset", action="append", default=[], choices=sorted(PRESETS),
                    help="add a named set of devices")
    ap.add_argument("--dev", action="append", default=[], metavar="SPEC",
                    help="ADDR,VENDOR,DEVICE,CLASS,DRIVER[,OPTION...]")
    args = ap.parse_args(argv)

    specs = [s for p in args.preset for s in PRESETS[p]] + args.dev
    try:
        devs = [parse_spec(s, i) for i, s in enumerate(specs)]
        os.makedirs(os.path.join(args.root, "bus", "pci", "devices"), exist_ok=True)
        os.makedirs(os.path.join(args.root, "bus", "pci", "drivers"), exist_ok=True)
        for d in devs:
            make_device(args.root, d)
    except SpecError as e:
        print("mkfakesysfs.py: %s" % e, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
