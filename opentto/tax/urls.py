from django.urls import path

from . import views

app_name = "tax"
urlpatterns = [
    path("", views.tax_index_view, name="index"),
    path("<int:org_pk>/", views.tax_year_view, name="year"),
    path("<int:org_pk>/profile/", views.tax_profile_view, name="profile"),
    path("deals/<int:deal_pk>/facts/", views.deal_facts_view, name="deal_facts"),
    path("deals/<int:deal_pk>/year/", views.deal_year_view, name="deal_year"),
]
