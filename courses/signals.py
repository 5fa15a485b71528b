"""Signals the course's graded items send, for apps above them (quizzes and labs sit below the gradebook and the
LMS integration, so they announce instead of calling).

``score_changed`` is sent with ``user`` and ``item`` (a graded ``Quiz`` or a ``Lab``) after a student's score in
that item may have changed: a graded quiz attempt submitted, a lab submission graded. ``lti.apps`` connects it to
send the student's best score to the LMS courses linked to the course.
"""

from django.dispatch import Signal

score_changed = Signal()
