/*
 * The tally protocol shared by the legacy test programs: a client sends
 * one integer, the server answers with the running total.
 */
#define TALLY_NAME	"tally"
#define TALLY_ADD	2001
#define TALLY_REPLY	2101
#define TALLY_QUIT	2999

struct tally_msg {
	msg_header_t	head;
	msg_type_t	type;
	int		value;
};
