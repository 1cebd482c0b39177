/* SPDX-License-Identifier: BSD-3-Clause */
/* ether.c - text form of Ethernet addresses. */
#include <ctype.h>
#include <errno.h>

#include <mpdp/mpdp_ether.h>

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)tolower((unsigned char)c);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int mpdp_ether_addr_parse(const char *s, struct mpdp_ether_addr *out)
{
	struct mpdp_ether_addr a;

	if (s == NULL || out == NULL)
		return -EINVAL;
	for (int i = 0; i < MPDP_ETHER_ADDR_LEN; i++) {
		int hi = hexval(s[0]), lo = hexval(s[1]);

		if (hi < 0 || lo < 0)
			return -EINVAL;
		a.bytes[i] = (uint8_t)(hi << 4 | lo);
		s += 2;
		if (i < MPDP_ETHER_ADDR_LEN - 1) {
			if (*s != ':' && *s != '-')
				return -EINVAL;
			s++;
		}
	}
	if (*s != '\0')
		return -EINVAL;
	*out = a;
	return 0;
}
