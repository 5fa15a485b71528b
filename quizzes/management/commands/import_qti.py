from .import_moodle_xml import Command as ImportCommand


class Command(ImportCommand):
    help = (
        "Import a QTI 1.2 package (the .zip Canvas exports) or QTI XML file into a course (all or nothing). "
        "Warnings (what could not come across, unsupported question types) are printed with file and line."
    )
    file_format = "qti"
