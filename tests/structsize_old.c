/* SPDX-License-Identifier: MIT */
/* structsize_old.c - a program built against 0.1.0's ringflow.h, where
 * rf_options_init and rf_report_init were functions of the library: its
 * calls bind to the library's symbols, not to today's inline functions.
 * Deliberately without ringflow.h (which now defines them inline). */

void rf_options_init(void *opt);
void rf_report_init(void *report);

void old_program_options_init(void *opt);
void old_program_report_init(void *report);

void old_program_options_init(void *opt)
{
	rf_options_init(opt);
}

void old_program_report_init(void *report)
{
	rf_report_init(report);
}
