package duckdb

// IPHex implements engine.Dialect with the macro netlens_ip_hex, which Open
// creates (see ipMacros): DuckDB cannot load its inet extension offline.
func (Dialect) IPHex(expr string) string { return "netlens_ip_hex(" + expr + ")" }

// ipMacros define netlens_ip_hex(s): the 32 hex digits of the 128-bit form
// of a textual IP address (IPv4 as ::ffff:a.b.c.d), NULL for text that is
// no address. An IPv6 address is cut at its zone, its dotted IPv4 tail made
// two groups, its "::" expanded to the missing zero groups, and each group
// padded to four digits.
var ipMacros = []string{
	`CREATE OR REPLACE MACRO netlens_v4_hex(s) AS printf('%02x%02x%02x%02x',
		TRY_CAST(split_part(s, '.', 1) AS UTINYINT), TRY_CAST(split_part(s, '.', 2) AS UTINYINT),
		TRY_CAST(split_part(s, '.', 3) AS UTINYINT), TRY_CAST(split_part(s, '.', 4) AS UTINYINT))`,
	`CREATE OR REPLACE MACRO netlens_v6_dotted(s) AS CASE WHEN position('.' IN s) = 0 THEN s ELSE
		left(s, length(s) - length(regexp_extract(s, '[0-9.]+$')))
		|| substr(netlens_v4_hex(regexp_extract(s, '[0-9.]+$')), 1, 4) || ':'
		|| substr(netlens_v4_hex(regexp_extract(s, '[0-9.]+$')), 5, 4) END`,
	`CREATE OR REPLACE MACRO netlens_v6_full(s) AS
		trim(replace(s, '::', ':' || repeat('0:', 8 - len(list_filter(string_split(s, ':'), g -> g <> '')))), ':')`,
	`CREATE OR REPLACE MACRO netlens_ip_hex(s) AS CASE
		WHEN position(':' IN s) = 0 THEN '00000000000000000000ffff' || netlens_v4_hex(s)
		ELSE lower(array_to_string(list_transform(
			string_split(netlens_v6_full(netlens_v6_dotted(split_part(s, '%', 1))), ':'),
			g -> lpad(g, 4, '0')), '')) END`,
}
