"""Lab pages, one module per screen.

Students: ``catalog`` (the list of labs, a lab's page with its editor, drafts), ``submissions`` (submit or
run checks, a submission's live status and full result), ``playground`` (the Test button). Instructors
(``instructor_required``): ``live`` (the live class view of a lab) and ``review`` (every submission of a
lab, any student's full result, re-grading). A course's gradebook is the ``gradebook`` app's.
"""
