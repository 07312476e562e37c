from django.urls import URLPattern, URLResolver

app_name = "showcase"
urlpatterns: list[URLPattern | URLResolver] = []
