from django.urls import path

from . import views

app_name = "organisations"
urlpatterns = [
    path("", views.organisation_list_view, name="list"),
    path("new/", views.organisation_create_view, name="create"),
    path("<int:pk>/", views.organisation_detail_view, name="detail"),
    path("people/", views.person_list_view, name="people"),
    path("people/new/", views.person_create_view, name="person_create"),
    path("people/<int:pk>/", views.person_detail_view, name="person"),
]
