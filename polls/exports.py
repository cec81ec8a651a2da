"""An export (services.poll_export) as the files people download: JSON, and CSV that a
spreadsheet opens safely, for the pages and the API alike."""

import csv
import io
import json

from django.utils.http import content_disposition_header
from django.utils.text import slugify

# A spreadsheet reads a cell starting with one of these as a formula (CSV injection): such a
# cell gets a leading apostrophe, which makes it text.
# https://owasp.org/www-community/attacks/CSV_Injection
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Excel reads a CSV file as UTF-8 only when it starts with a byte order mark.
UTF8_BOM = "\ufeff"
FILENAME_TITLE_LENGTH = 60

CSV_MEDIA_TYPE = "text/csv"
JSON_MEDIA_TYPE = "application/json"


def spreadsheet_safe(value) -> str:
    """A cell's text, made inert when a spreadsheet would run it as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def _yes_no(flag: bool) -> str:
    return "yes" if flag else "no"


def export_rows(export: dict) -> list[list]:
    """The poll's facts as name/value rows, a blank row, then one row per option."""
    poll = export["poll"]
    facts = [
        ("Question", poll["question"]),
        ("Description", poll["description"]),
        ("Author", poll["author"]),
        ("Link", poll["url"]),
        ("Status", poll["status"]),
        ("Created at (UTC)", poll["created_at"]),
        ("Closes at (UTC)", poll["closes_at"]),
        ("Closed at (UTC)", poll["closed_at"]),
        ("Results visibility", poll["results_visibility"]),
        ("Voting method", poll["voting_method"]),
        *([("Every option ranked", _yes_no(poll["rank_all"]))] if export["ranked"] else []),
        ("Minimum choices", poll["min_choices"]),
        ("Maximum choices", poll["max_choices"]),
        ("Voters", export["total_voters"]),
        ("Choices", export["total_choices"]),
        ("Outcome", export["outcome"]["kind"] if export["outcome"] else ""),
        ("Exported at (UTC)", export["exported_at"]),
    ]
    options = [
        [option["label"], option["votes"], option["percent"], _yes_no(option["winner"])]
        for option in export["options"]
    ]
    rows = [*facts, [], ["Option", "Votes", "Percent of voters", "Winner"], *options]
    if export["ranked"]:
        rows += _ranked_rows(export)
    return rows


def _ranked_rows(export: dict) -> list[list]:
    """A ranked poll's tally: a section per instant-runoff round, the pairwise matrix, the
    winners; then, once the poll has closed, one row per ballot (its ranking as labels)."""
    ranked = export["ranked"]
    label = {option["id"]: option["label"] for option in export["options"]}
    label[None] = "exhausted"
    rows = []
    for round in ranked["rounds"]:
        rows += [[], [f"Instant-runoff round {round['number']}", "Ballots"]]
        rows += [[label[count["option"]], count["ballots"]] for count in round["counts"]]
        rows += [["Continuing", round["continuing"]], ["Exhausted so far", round["exhausted"]]]
        if round["eliminated"] is not None:
            how = f" (tie broken by {round['tie_broken_by']})" if round["tie_broken_by"] else ""
            rows.append(["Eliminated", f"{label[round['eliminated']]}{how}"])
            rows += [[f"Moved to {label[t['option']]}", t["ballots"]] for t in round["transfers"]]
    order = [option["id"] for option in export["options"]]
    beats = {(pair["option"], pair["against"]): pair["ballots"] for pair in ranked["pairwise"]}
    rows += [[], ["Ballots ranking the row above the column", *(label[b] for b in order)]]
    rows += [[label[a], *("" if a == b else beats[a, b] for b in order)] for a in order]
    schulze = " > ".join(
        " = ".join(label[option] for option in group) for group in ranked["schulze"]
    )
    winner = ranked["condorcet_winner"]
    rows += [
        [],
        ["Instant-runoff winner", " and ".join(label[option] for option in ranked["winners"])],
        ["Condorcet winner", "none" if winner is None else label[winner]],
        ["Schulze ranking", schulze],
        ["Tie rule", ranked["tie_rule"]],
        [],
    ]
    if export["ballots"] is None:
        return [*rows, ["Ballots", export["ballots_note"]]]
    rows.append(
        ["Ballots: one per row, its ranking best first as option labels, in a random order"]
    )
    return rows + [[label[option] for option in ballot] for ballot in export["ballots"]]


def export_csv(export: dict) -> bytes:
    """The export as UTF-8 CSV with a byte order mark, every cell spreadsheet-safe."""
    output = io.StringIO()
    output.write(UTF8_BOM)
    writer = csv.writer(output)
    for row in export_rows(export):
        writer.writerow([spreadsheet_safe(cell) for cell in row])
    return output.getvalue().encode()


def export_json(export: dict) -> bytes:
    return json.dumps(export, ensure_ascii=False, indent=2).encode()


def export_filename(title: str, extension: str) -> str:
    """A download's name from the poll's title: ASCII letters, digits and dashes only, so it
    needs no quoting and can carry no header or path trick."""
    stem = slugify(title)[:FILENAME_TITLE_LENGTH].strip("-_") or "poll"
    return f"{stem}-results.{extension}"


def attachment_header(title: str, extension: str) -> str:
    return content_disposition_header(True, export_filename(title, extension))
