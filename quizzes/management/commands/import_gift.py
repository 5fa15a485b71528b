from .import_moodle_xml import Command as ImportCommand


class Command(ImportCommand):
    help = (
        "Import Moodle GIFT questions into a course's question bank (all or nothing). Warnings (what could "
        "not come across, essays and descriptions left out) are printed with their lines."
    )
    file_format = "gift"
