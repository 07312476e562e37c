from django.contrib import admin
from django.contrib.auth.admin import UserAdmin

from .models import User


@admin.register(User)
class OpenTTOUserAdmin(UserAdmin):
    list_display = ("username", "role", "organisation", "language", "is_active")
    list_filter = ("role", "is_active")
    fieldsets = (*(UserAdmin.fieldsets or ()), ("OpenTTO", {"fields": ("role", "organisation", "person", "language")}))
