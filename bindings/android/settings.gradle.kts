// The fieldsync Android library module, on its own (`./gradlew :fieldsync:assembleRelease`)
// or included in an app's build (`include(":fieldsync")` with its projectDir
// pointing here). Run build-android.sh first: it fills src/main/jniLibs and
// src/main/kotlin.
pluginManagement {
    repositories {
        google()
        mavenCentral()
        gradlePluginPortal()
    }
}
dependencyResolutionManagement {
    repositories {
        google()
        mavenCentral()
    }
}
rootProject.name = "fieldsync-android"
include(":fieldsync")
