/*
 * item.c - one attachment or body part, and what was found in it.
 *
 * SYNOPSIS
 *	struct al_item *item = al_item_new();
 *	al_item_flag(item, AL_REASON_LIMITS, "attachment larger than %u bytes", max);
 *	al_item_free(&item);
 *
 * DESCRIPTION
 *	An item is created empty with its arrays ready (virus_names,
 *	inner, details), so every stage can append without checking, and
 *	with no content (fd -1). al_item_free() releases everything the item
 *	points to, including its content (closing a spool file).
 *
 *	al_item_flag() is how every stage records a finding: the reason
 *	bit, and a sentence for the admin when a format is given.
 */
#include "airlock/item.h"
#include "airlock/safecopy.h"

#include <stdarg.h>

struct al_item *al_item_new(void)
{
	struct al_item *item = g_new(struct al_item, 1);

	*item = (struct al_item){
		.content = { .fd = -1 },
		.virus_names = g_ptr_array_new_with_free_func(g_free),
		.inner = g_ptr_array_new_with_free_func(al_inner_free_ptr),
		.details = g_ptr_array_new_with_free_func(g_free),
	};
	return item;
}

void al_item_free(struct al_item **item)
{
	struct al_item *it = *item;

	if (it == NULL)
		return;
	al_safecopy_free(&it->safe_copy);
	g_free(it->part);
	g_free(it->filename);
	g_free(it->alt_filename);
	g_free(it->declared_type);
	g_free(it->disposition);
	g_free(it->content_id);
	g_free(it->wrapper_part);
	al_content_clear(&it->content);
	g_free(it->detected_type);
	g_free(it->detected_description);
	g_clear_pointer(&it->virus_names, g_ptr_array_unref);
	g_clear_pointer(&it->inner, g_ptr_array_unref);
	g_clear_pointer(&it->details, g_ptr_array_unref);
	g_free(it);
	*item = NULL;
}

void al_item_free_ptr(gpointer item)
{
	struct al_item *it = item;

	al_item_free(&it);
}

void al_item_flag(struct al_item *item, enum al_reason reason, const char *detail_fmt, ...)
{
	va_list args;

	item->reasons |= AL_REASON_BIT(reason);
	if (detail_fmt == NULL)
		return;
	if (item->details == NULL)
		item->details = g_ptr_array_new_with_free_func(g_free);
	va_start(args, detail_fmt);
	g_ptr_array_add(item->details, g_strdup_vprintf(detail_fmt, args));
	va_end(args);
}

struct al_inner *al_inner_new(void)
{
	return g_new0(struct al_inner, 1);
}

void al_inner_free_ptr(gpointer inner)
{
	struct al_inner *in = inner;

	if (in == NULL)
		return;
	g_free(in->path);
	g_free(in->clamav_type);
	g_free(in->detected_type);
	g_free(in->detail);
	g_free(in);
}
