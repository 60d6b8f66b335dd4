/* sketch.h - a mergeable quantile sketch with bounded relative error.
 *
 * Values fall into logarithmic buckets: bucket i holds (g^(i-1), g^i] with
 * g = (1+a)/(1-a), and a bucket is reported as 2g^i/(g+1), which is within
 * a relative error a of every value in it (the DDSketch construction).
 * With a = 0.005 the error bound is 0.5%, half the 1% the language
 * promises.  Memory is bounded: past RF_SKETCH_MAX_BUCKETS buckets on one
 * side, the lowest ones are merged, which only coarsens the smallest
 * magnitudes.  Two sketches merge by adding bucket counts.
 */
#ifndef RF_SKETCH_H
#define RF_SKETCH_H

#include <stdint.h>

#define RF_SKETCH_ALPHA 0.005
#define RF_SKETCH_MAX_BUCKETS 4096
/* Bucket indexes of real values lie within about -2,100 (1e-9) and 71,000
 * (DBL_MAX); a decoded sketch outside this is damaged. */
#define RF_SKETCH_MAX_INDEX (1 << 20)

struct rf_sketch_store {
	uint64_t *counts;
	int32_t offset;   /* bucket index of counts[0] */
	int32_t len;
};

struct rf_sketch {
	struct rf_sketch_store pos, neg; /* neg holds -v for v < 0 */
	uint64_t zero;                   /* |v| below the smallest bucket */
	uint64_t count;
	double min, max;
	int all_int;                     /* every value added was an integer */
};

void rf__sketch_init(struct rf_sketch *s);
double rf__sketch_gamma(void);
void rf__sketch_free(struct rf_sketch *s);
int rf__sketch_add(struct rf_sketch *s, double v);
int rf__sketch_merge(struct rf_sketch *dst, const struct rf_sketch *src);
/* The value at rank floor(q * (count - 1)) in sorted order, within the
 * relative error bound; NaN for an empty sketch.  When every value was an
 * integer the estimate is rounded to one: below 100 that gives the exact
 * value back, above it the rounding adds at most 0.5%. */
double rf__sketch_quantile(const struct rf_sketch *s, double q);

#endif
