/* catalog.c -- the event type table and "did you mean". */
#include "desk/catalog.h"
#include "util/text.h"

#include <string.h>

#define D DM_OPT_DEPARTMENTS
#define P DM_OPT_PREVSTATE

static const dm_event_type types[] = {
    {"Ticket_Add", D},
    {"Ticket_Update", D | P | DM_OPT_FIELDS},
    {"Ticket_Delete", 0},
    {"Ticket_Thread_Add", D | DM_OPT_DIRECTION},
    {"Ticket_Comment_Add", D},
    {"Ticket_Comment_Update", D},
    {"Ticket_Attachment_Add", D},
    {"Ticket_Attachment_Update", D},
    {"Ticket_Attachment_Delete", 0},
    {"Ticket_Approval_Add", 0},
    {"Ticket_Approval_Update", P},
    {"Contact_Add", 0},
    {"Contact_Update", P},
    {"Contact_Delete", 0},
    {"Account_Add", 0},
    {"Account_Update", P},
    {"Account_Delete", 0},
    {"Agent_Add", 0},
    {"Agent_Update", P},
    {"Agent_Delete", 0},
    {"Agent_Presence_Update", P},
    {"Agent_Channel_Preference_Update", P},
    {"Department_Add", 0},
    {"Department_Update", P},
    {"Task_Add", D},
    {"Task_Update", D | P},
    {"Task_Delete", 0},
    {"Call_Add", D},
    {"Call_Update", D | P},
    {"Call_Delete", 0},
    {"Event_Add", D},
    {"Event_Update", D | P},
    {"Event_Delete", 0},
    {"TimeEntry_Add", 0},
    {"TimeEntry_Update", P},
    {"TimeEntry_Delete", 0},
    {"Article_Add", 0},
    {"Article_Update", P},
    {"Article_Delete", 0},
    {"Article_Translation_Add", 0},
    {"Article_Translation_Update", P},
    {"Article_Translation_Delete", 0},
    {"Article_Feedback_Add", 0},
    {"KBRootCategory_Add", 0},
    {"KBRootCategory_Update", P},
    {"KBRootCategory_Delete", 0},
    {"KBSection_Add", 0},
    {"KBSection_Update", P},
    {"KBSection_Delete", 0},
    {"IM_Message_Add", D},
    {"IM_Session_Status", D},
    {"IM_Message_Status", D},
};

#undef D
#undef P

const dm_event_type *dm_event_type_find(const char *name)
{
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++)
        if (strcmp(types[i].name, name) == 0) return &types[i];
    return NULL;
}

const dm_event_type *dm_event_types(size_t *n)
{
    *n = sizeof types / sizeof types[0];
    return types;
}

const char *dm_event_type_suggest(const char *name)
{
    const char *best = NULL;
    size_t best_d = (size_t)-1;
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        size_t d = dm_edit_distance(name, types[i].name);
        if (d < best_d) {
            best_d = d;
            best = types[i].name;
        }
    }
    /* close enough: a few edits, and less than a third of the name */
    size_t len = strlen(name);
    return best && best_d <= 4 && best_d * 3 <= len + 2 ? best : NULL;
}
