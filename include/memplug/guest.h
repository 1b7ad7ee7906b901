/* SPDX-License-Identifier: GPL-2.0 */
/*
 * guest: what the project's test guest (guest/init) tells its VMM over the
 * console.  The line below means "the guest reached its init": the VMM's
 * boot timeout and the benchmark's boot-to-init time both end on it.
 */
#ifndef MEMPLUG_GUEST_H
#define MEMPLUG_GUEST_H

#define MEMPLUG_GUEST_READY	"memplug-guest: ready"

#endif
