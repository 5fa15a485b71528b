from .roles import is_instructor


def roles(request):
    # A callable: templates evaluate it only where they use it, so fragments that never show the role
    # (htmx answers, polls) cost no group query.
    return {"is_instructor": lambda: is_instructor(request.user)}
