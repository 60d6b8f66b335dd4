/* SPDX-License-Identifier: MIT */
/* codec_segments.h - where a compressed file can be cut into pieces that
 * decode on their own, so that several threads share one file. */
#ifndef RF_CODEC_SEGMENTS_H
#define RF_CODEC_SEGMENTS_H

#include <stddef.h>
#include <stdint.h>

/* Fills cuts[0..] with offsets of member/frame starts, the first 0, so that
 * each [cuts[i], cuts[i+1]) (the last to n) is a whole number of
 * members/frames of about `target` compressed bytes or more; returns how
 * many (1 when the file cannot be cut: a single member, an unknown layout,
 * anything doubtful), or -EINVAL for bad arguments, -ENOMEM (xz only).
 *
 * p[0..n) is the whole file (the caller maps it); nothing past n is read
 * and nothing is decoded.  Members/frames are walked by their headers:
 * zstd frames and skippable frames, BGZF gzip members (by BSIZE; ordinary
 * gzip members carry no size and give 1), lz4 frames and skippable
 * frames, xz streams (found from the end backwards, by footer and index;
 * stream padding stays with the stream before it).  The walk stops cutting at the first unit it cannot vouch for: the
 * cuts before it stay (they bound whole units), and the rest, damage
 * included, is the last segment, so its decoder reports the damage.
 * `codec` is an enum rf_codec; another value gives 1. */
int rf__codec_segments(int codec, const unsigned char *p, size_t n, size_t target, uint64_t *cuts,
		       int max_cuts);

/* The walkers one at a time: the size of the unit (frame, member, stream)
 * that starts at p[0], or 0 when p[0..n) does not start with a whole unit
 * of that format it can vouch for. */
size_t rf__zstd_frame_size(const unsigned char *p, size_t n);
size_t rf__bgzf_member_size(const unsigned char *p, size_t n);
size_t rf__lz4_frame_size(const unsigned char *p, size_t n);

#endif
