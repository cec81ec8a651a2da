"""Admin lists that staff read and never write: what the services write (the audit log, the
invite codes)."""


class ViewOnlyMixin:
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
